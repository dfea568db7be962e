"""Names people write for countries that CLDR does not have, and regions that are not countries.

This is data, kept small on purpose: CLDR already names every country in every
language it knows (see countries.py), so an entry belongs here only when real
signatory lists use a name CLDR lacks. Keys are written as people write them;
they are folded (case, accents, punctuation, a leading "the") when loaded.

A value is a tuple of ISO 3166-1 alpha-2 codes. One code: the name means that
country. Several codes: the name is ambiguous, and an import asks the organiser,
offering the codes in this order.
"""

ALIASES = {
    # The United States: the short forms and the full official name (CLDR: "United States").
    "USA": ("US",),
    "U.S.": ("US",),
    "United States of America": ("US",),
    "США": ("US",),                                # Russian abbreviation, as common as the full name
    "Vereinigte Staaten von Amerika": ("US",),     # German full name
    "États-Unis d'Amérique": ("US",),              # French full name
    # The United Kingdom and its parts: lists name the nation, or write "UK" (ISO's code is GB).
    "UK": ("GB",),
    "U.K.": ("GB",),
    "Great Britain": ("GB",),
    "Britain": ("GB",),
    "England": ("GB",),
    "Scotland": ("GB",),
    "Wales": ("GB",),
    "Northern Ireland": ("GB",),
    "Northern Ireland (UK)": ("GB",),
    "United Kingdom of Great Britain and Northern Ireland": ("GB",),
    "Großbritannien": ("GB",),                      # German everyday name (CLDR: "Vereinigtes Königreich")
    "Grande-Bretagne": ("GB",),                     # French everyday name
    # The Netherlands, by its best-known province.
    "Holland": ("NL",),
    # The two Congos: CLDR writes "Congo - Kinshasa" / "Congo - Brazzaville"; people write these.
    "DRC": ("CD",),
    "DR Congo": ("CD",),
    "RDC": ("CD",),                                 # French abbreviation
    "ДРК": ("CD",),                                 # Russian abbreviation
    "Democratic Republic of Congo": ("CD",),
    "Democratic Republic of the Congo": ("CD",),
    "République démocratique du Congo": ("CD",),
    "Congo Brazzaville": ("CG",),
    "Republic of Congo": ("CG",),
    "Republic of the Congo": ("CG",),
    "Congo": ("CD", "CG"),                          # either one: the organiser decides
    # Palestine: CLDR names the territory ("Palestinian Territories"); lists name the state.
    "Palestine": ("PS",),
    "State of Palestine": ("PS",),
    "Occupied Palestinian Territories": ("PS",),
    "Occupied Palestinian Territory": ("PS",),
    # Names CLDR changed, which lists still use.
    "Czech Republic": ("CZ",),                      # CLDR: "Czechia"
    "Tschechische Republik": ("CZ",),
    "République tchèque": ("CZ",),
    "Turkey": ("TR",),                              # CLDR: "Türkiye"
    "Swaziland": ("SZ",),                           # CLDR: "Eswatini"
    "Macedonia": ("MK",),                           # CLDR: "North Macedonia"
    "Burma": ("MM",),                               # CLDR: "Myanmar (Burma)"
    "Ivory Coast": ("CI",),                         # CLDR: "Côte d’Ivoire"
    "East Timor": ("TL",),                          # CLDR: "Timor-Leste"
    "Hong Kong": ("HK",),                           # CLDR: "Hong Kong SAR China"
    "Macao": ("MO",),
    "Macau": ("MO",),
    "Vatican": ("VA",),
    # Official long forms used in UN-style lists.
    "Republic of Moldova": ("MD",),
    "Russian Federation": ("RU",),
    "РФ": ("RU",),
    "Islamic Republic of Iran": ("IR",),
    "Syrian Arab Republic": ("SY",),
    "Republic of Korea": ("KR",),
    "DPRK": ("KP",),
    "Kyrgyz Republic": ("KG",),
    "Lao PDR": ("LA",),
    "Viet Nam": ("VN",),
    "UAE": ("AE",),
    "KSA": ("SA",),
    "Bosnia": ("BA",),
    # Belarus by its Soviet-era names, still common in Russian and German lists.
    "Белоруссия": ("BY",),
    "Weißrussland": ("BY",),
}

# Regions and scopes that are not countries; kept as typed text next to any countries.
# CLDR's own region names (Africa, Latin America, Europe, in every language) are added in countries.py.
REGIONS = (
    "Asia-Pacific", "Asia Pacific", "APAC", "MENA", "Middle East", "Middle East and North Africa", "North Africa",
    "Horn of Africa", "Great Lakes", "Balkans", "Western Balkans", "Caucasus", "South Caucasus", "Eurasia",
    "Central and Eastern Europe", "South Asia", "Pacific", "Gulf", "Arab region", "Scandinavia", "Nordic countries",
    "Global", "International", "Worldwide",
    "Ближний Восток", "Кавказ", "Азиатско-Тихоокеанский регион", "Международная",
    "Naher Osten", "Asien-Pazifik", "Weltweit", "Moyen-Orient", "Asie-Pacifique", "Afrique du Nord",
)

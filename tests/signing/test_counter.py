"""A confirming press's counter, filled into a kept rendering (signing/counter.py), is the counter rendered for its count."""
import pytest
from flask import render_template
from flask_babel import force_locale

from petitions import caching
from petitions.counting import next_goal_for
from petitions.signing.counter import counter_for
from petitions.signing.services import PetitionFacts

from ..helpers import confirm, last_confirm_path, page_text, sign

# Every plural category of the site's languages (1, 2-4, 5-20, 21, 22, 101, 111, 112…), across goals.
COUNTS = [0, 1, 2, 3, 4, 5, 11, 12, 14, 21, 22, 25, 101, 102, 111, 112, 121, 712, 999, 1000, 1001, 1021, 12345,
          1000001]


@pytest.fixture
def kept(make_app):
    caching.clear()
    yield make_app(PUBLIC_CACHE_SECONDS=600)  # long enough that renderings are reused across counts
    caching.clear()


@pytest.mark.parametrize("paper", [0, 7])
def test_a_filled_in_counter_is_the_counter_rendered_for_its_count(kept, paper):
    petition = PetitionFacts(id=1, slug="free-them", goal=1000, next_goal=1000, paper_count=paper)
    renderings = []

    def render(next_goal, figures):
        renderings.append(next_goal)
        return render_template("signing/_counter.html", petition=petition, next_goal=next_goal, figures=figures)

    for lang in kept.config["LANGUAGES"]:
        for online in COUNTS:
            count = online + paper
            with kept.test_request_context(f"/{lang}/p/free-them"), force_locale(lang):
                expected = render_template("signing/_counter.html", petition=petition, count=count,
                                           next_goal=next_goal_for(count, petition.goal))
                assert counter_for(petition, count, render) == expected, (lang, count)
    # Kept renderings were filled in, not rendered afresh for each count.
    assert len(renderings) < len(kept.config["LANGUAGES"]) * len(COUNTS) / 2


def test_the_thanks_page_shows_the_press_count_in_the_readers_language(kept, petition):
    client = kept.test_client()
    for i, email in enumerate(["ada@example.org", "grace@example.org", "rosalind@example.org"]):
        sign(client, lang="ru", email=email)
        page = page_text(confirm(client, last_confirm_path(email)))
        shown = i + 1
        assert f'data-count="{shown}"' in page and f"{shown} из 1\xa0000" in page, page


def test_without_an_example_of_the_counts_plural_category_the_counter_is_rendered_for_the_count(kept, monkeypatch):
    from petitions.signing import counter

    monkeypatch.setattr(counter, "plural_examples", lambda lang: {})
    petition = PetitionFacts(id=1, slug="free-them", goal=1000, next_goal=1000, paper_count=0)
    with kept.test_request_context("/ru/p/free-them"), force_locale("ru"):
        filled = counter_for(petition, 21, lambda next_goal, figures: render_template(
            "signing/_counter.html", petition=petition, next_goal=next_goal, figures=figures))
        assert filled == render_template("signing/_counter.html", petition=petition, count=21, next_goal=1000)
        assert "21 подпись" in filled

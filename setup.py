"""The two build steps pyproject.toml cannot declare; everything else about the package is there.

1. The repository keeps templates/, translations/ and migrations/ at its top
   level, beside the package; the wheel carries them inside it, as
   petitions/templates/ and so on (petitions/paths.py finds them both ways).
   setuptools maps them with package_dir, so nothing is copied in the checkout.
2. A release must carry compiled catalogues (.mo), which the repository does
   not keep: building a wheel compiles every translations/*/LC_MESSAGES/*.po
   with Babel, so `pip wheel .` alone gives a release that speaks every language.
"""
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

RESOURCES = {"petitions.templates": "templates", "petitions.translations": "translations",
             "petitions.migrations": "migrations"}


def packages():
    """The package with every folder in it, and every folder of the resources.

    Each folder is listed, though it holds no Python, because setuptools
    warns that it would stop shipping data from folders that are not.
    """
    skip = ["__pycache__", "*.__pycache__"]
    found = find_namespace_packages(include=["petitions", "petitions.*"], exclude=skip)
    for package, folder in RESOURCES.items():
        found += [package] + [f"{package}.{sub}" for sub in find_namespace_packages(where=folder, exclude=skip)]
    return found


class BuildWithCatalogues(build_py):
    """build_py, then the .mo files beside their .po files in the built package."""

    def run(self):
        super().run()
        # An editable install reads the checkout's translations/, compiled by `make compile-translations`.
        if not getattr(self, "editable_mode", False):
            self.compile_catalogues()

    def compile_catalogues(self):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(self.get_package_dir("petitions.translations"))
        target = Path(self.build_lib, *"petitions.translations".split("."))
        catalogues = sorted(source.glob("*/LC_MESSAGES/*.po"))
        if not catalogues:
            raise SystemExit(f"no catalogues under {source}: a release without them would speak only English")
        for po in catalogues:
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name)
            # The same rule as `pybabel compile`: a broken placeholder would break the page that shows it.
            problems = [f"{po}: {message.id!r}: {error}" for message, errors in catalog.check() for error in errors]
            if problems:
                raise SystemExit("\n".join(problems))
            mo = target / po.relative_to(source).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as f:
                write_mo(f, catalog)  # fuzzy entries left out, as pybabel does
            self.announce(f"compiled {po} -> {mo}", level=2)


setup(
    packages=packages(),
    package_dir=RESOURCES,
    cmdclass={"build_py": BuildWithCatalogues},
)

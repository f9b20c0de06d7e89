"""extension-package: a streamflow extension.

Its operators, prompt templates and pipelines are declared in pyproject.toml's entry points, so
``streamflow ops list`` shows the operators once the package is installed.
"""

__version__ = "0.1.0"

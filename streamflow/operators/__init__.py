"""The operator library, one subpackage per domain, by DataFlow's own domain names.

``general_text`` and ``core_text`` (and the domains to come: ``text_pt``, ``text_sft``,
``reasoning``, ``code``, ``text2sql``, ...) hold DataFlow's operators under DataFlow's names, so
``from dataflow.operators.general_text import X`` becomes
``from streamflow.operators.general_text import X``; ``web`` holds streamflow's own web-crawl
family. A domain's ``__init__`` maps each of its names to the module that defines it
(:func:`~streamflow.operators._lazy.lazy_domain`): that map is both the package's exports and
its registration with :mod:`streamflow.operators.registry`, and a name's module is imported only
when the name is used. The modules beside the domains are what operators share (``llm``,
``fields``, ``words``, ``text_refiner``, ``language_id``); ``text`` and ``general`` keep the
import paths of streamflow 0.1 working.
"""

"""A pytest plugin loaded only by `make mutants` (scripts/mutants.py), never by `make test`.

mutmut runs the tests once in its own process, then forks a child per mutant. A query compiled once
per process (lib.compiled.CompiledQuery) would then reach the child already compiled from the real
code, and a mutant of its query builder would never run: it would survive without being tested.
Forgetting the compiled queries before each test makes every test build them again, with the mutant.
Likewise the grant parser's memory of the last string it parsed in this thread
(maskinporten.assertion._last_parsed): a child must start with none, as a new worker thread does.
"""

import pytest

from lib.compiled import forget_all


@pytest.fixture(autouse=True)
def _compile_queries_again():
    from maskinporten import assertion

    forget_all()
    vars(assertion._last_parsed).pop("value", None)
    yield

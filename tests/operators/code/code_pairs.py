# ruff: noqa: E501  (program text reads best one statement per line)
"""Fifty (code, tests) pairs written for the sandbox evaluator's tests: 25 that pass and 25 that
fail in different ways (wrong answer, exception, timeout, syntax error, missing import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pair:
    name: str
    code: str
    tests: str
    fails_by: str | None  # None: passes; else how it fails


def _ok(name: str, code: str, tests: str) -> Pair:
    return Pair(name, code, tests, None)


PASSING = [
    _ok("add", "def add(a, b):\n    return a + b", "assert add(2, 3) == 5\nassert add(-1, 1) == 0"),
    _ok(
        "reverse",
        "def rev(s):\n    return s[::-1]",
        "assert rev('abc') == 'cba'\nassert rev('') == ''",
    ),
    _ok(
        "fact", "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)", "assert fact(5) == 120"
    ),
    _ok(
        "fib",
        "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a",
        "assert [fib(i) for i in range(8)] == [0, 1, 1, 2, 3, 5, 8, 13]",
    ),
    _ok(
        "is_prime",
        "def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))",
        "assert [p for p in range(20) if is_prime(p)] == [2, 3, 5, 7, 11, 13, 17, 19]",
    ),
    _ok(
        "bubble",
        "def bubble(a):\n    a = list(a)\n    for i in range(len(a)):\n"
        "        for j in range(len(a) - i - 1):\n            if a[j] > a[j + 1]:\n"
        "                a[j], a[j + 1] = a[j + 1], a[j]\n    return a",
        "assert bubble([3, 1, 2]) == [1, 2, 3]\nassert bubble([]) == []",
    ),
    _ok(
        "bsearch",
        "def bsearch(a, x):\n    lo, hi = 0, len(a) - 1\n    while lo <= hi:\n"
        "        mid = (lo + hi) // 2\n        if a[mid] == x:\n            return mid\n"
        "        if a[mid] < x:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n"
        "    return -1",
        "assert bsearch([1, 3, 5, 7], 5) == 2\nassert bsearch([1, 3], 4) == -1",
    ),
    _ok(
        "gcd", "import math\n\ndef gcd(a, b):\n    return math.gcd(a, b)", "assert gcd(12, 18) == 6"
    ),
    _ok(
        "palindrome",
        "def is_pal(s):\n    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]",
        "assert is_pal('A man, a plan, a canal: Panama')\nassert not is_pal('abc')",
    ),
    _ok(
        "word_count",
        "from collections import Counter\n\ndef words(s):\n    return Counter(s.split())",
        "assert words('a b a')['a'] == 2",
    ),
    _ok(
        "flatten",
        "def flat(xs):\n    return [y for x in xs for y in x]",
        "assert flat([[1], [2, 3]]) == [1, 2, 3]",
    ),
    _ok(
        "json_roundtrip",
        "import json\n\ndef rt(o):\n    return json.loads(json.dumps(o))",
        "assert rt({'a': [1, 2]}) == {'a': [1, 2]}",
    ),
    _ok(
        "max_sub",
        "def best(a):\n    cur = top = a[0]\n    for x in a[1:]:\n        cur = max(x, cur + x)\n        top = max(top, cur)\n    return top",
        "assert best([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6",
    ),
    _ok(
        "chunks",
        "def chunks(a, n):\n    return [a[i:i + n] for i in range(0, len(a), n)]",
        "assert chunks([1, 2, 3], 2) == [[1, 2], [3]]",
    ),
    _ok(
        "vowels",
        "def vowels(s):\n    return sum(c in 'aeiou' for c in s.lower())",
        "assert vowels('Education') == 5",
    ),
    _ok(
        "class_stack",
        "class Stack:\n    def __init__(self):\n        self.items = []\n"
        "    def push(self, x):\n        self.items.append(x)\n"
        "    def pop(self):\n        return self.items.pop()",
        "s = Stack()\ns.push(1)\ns.push(2)\nassert s.pop() == 2",
    ),
    _ok(
        "dedupe",
        "def dedupe(a):\n    return list(dict.fromkeys(a))",
        "assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]",
    ),
    _ok(
        "camel",
        "def snake(s):\n    import re\n    return re.sub(r'(?<!^)(?=[A-Z])', '_', s).lower()",
        "assert snake('CamelCaseName') == 'camel_case_name'",
    ),
    _ok("prints", "def hello():\n    print('hello from the sandbox')\n\nhello()", "assert True"),
    _ok(
        "dates",
        "import datetime\n\ndef days(a, b):\n    return (b - a).days",
        "assert days(datetime.date(2024, 1, 1), datetime.date(2024, 3, 1)) == 60",
    ),
    _ok(
        "writes_cwd",
        "def save(text):\n    with open('out.txt', 'w') as f:\n        f.write(text)\n    return open('out.txt').read()",
        "assert save('kept') == 'kept'",
    ),
    _ok(
        "matrix",
        "def transpose(m):\n    return [list(r) for r in zip(*m)]",
        "assert transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]",
    ),
    _ok(
        "roman",
        "def roman(n):\n    out = ''\n    for v, s in ((10, 'X'), (9, 'IX'), (5, 'V'), (4, 'IV'), (1, 'I')):\n        while n >= v:\n            out += s\n            n -= v\n    return out",
        "assert roman(14) == 'XIV'\nassert roman(9) == 'IX'",
    ),
    _ok(
        "anagram",
        "def anagram(a, b):\n    return sorted(a) == sorted(b)",
        "assert anagram('listen', 'silent')",
    ),
    _ok("exit_zero", "import sys\n\ndef done():\n    sys.exit(0)", "done()"),
]


def _fail(how: str, name: str, code: str, tests: str) -> Pair:
    return Pair(name, code, tests, how)


FAILING = [
    # wrong answers: the tests' asserts fail
    _fail("wrong", "add_wrong", "def add(a, b):\n    return a - b", "assert add(2, 3) == 5"),
    _fail("wrong", "rev_wrong", "def rev(s):\n    return s", "assert rev('abc') == 'cba'"),
    _fail(
        "wrong",
        "fact_off_by_one",
        "def fact(n):\n    return 1 if n < 1 else n * fact(n - 2)",
        "assert fact(5) == 120",
    ),
    _fail(
        "wrong", "prime_wrong", "def is_prime(n):\n    return n % 2 == 1", "assert not is_prime(9)"
    ),
    _fail(
        "wrong",
        "sort_unstable",
        "def bubble(a):\n    return list(a)",
        "assert bubble([3, 1, 2]) == [1, 2, 3]",
    ),
    _fail(
        "wrong",
        "bsearch_wrong",
        "def bsearch(a, x):\n    return 0",
        "assert bsearch([1, 3], 3) == 1",
    ),
    _fail(
        "wrong",
        "dedupe_order",
        "def dedupe(a):\n    return sorted(set(a))",
        "assert dedupe([3, 1, 3]) == [3, 1]",
    ),
    _fail("wrong", "exit_one", "import sys\n\ndef check():\n    sys.exit(1)", "check()"),
    # exceptions
    _fail("exception", "zero_div", "def ratio(a, b):\n    return a / b", "ratio(1, 0)"),
    _fail("exception", "index", "def first(a):\n    return a[0]", "first([])"),
    _fail("exception", "key", "def get(d):\n    return d['missing']", "get({})"),
    _fail("exception", "type", "def add(a, b):\n    return a + b", "add('1', 2)"),
    _fail("exception", "recursion", "def f(n):\n    return f(n + 1)", "f(0)"),
    _fail(
        "exception", "raises", "def boom():\n    raise RuntimeError('model wrote this')", "boom()"
    ),
    # timeouts
    _fail("timeout", "busy_loop", "def spin():\n    while True:\n        pass", "spin()"),
    _fail("timeout", "sleeps", "import time\n\ndef wait():\n    time.sleep(60)", "wait()"),
    _fail(
        "timeout",
        "slow_fib",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
        "assert fib(40) > 0",
    ),
    # syntax errors
    _fail("syntax", "missing_colon", "def add(a, b)\n    return a + b", "assert add(1, 2) == 3"),
    _fail("syntax", "bad_indent", "def add(a, b):\nreturn a + b", "assert add(1, 2) == 3"),
    _fail("syntax", "unclosed", "def add(a, b):\n    return (a + b", "assert add(1, 2) == 3"),
    _fail(
        "syntax",
        "markdown_left_in",
        "```python\ndef add(a, b):\n    return a + b\n```",
        "assert add(1, 2) == 3",
    ),
    # missing imports
    _fail(
        "import",
        "no_such_module",
        "import numpyy\n\ndef mean(a):\n    return numpyy.mean(a)",
        "mean([1])",
    ),
    _fail(
        "import",
        "forgot_import_math",
        "def root(x):\n    return math.sqrt(x)",
        "assert root(4) == 2",
    ),
    _fail(
        "import",
        "forgot_import_re",
        "def digits(s):\n    return re.findall(r'\\d', s)",
        "digits('a1')",
    ),
    _fail(
        "import",
        "from_missing",
        "from collections import OrderedDefaultDict\n\ndef f():\n    return 1",
        "f()",
    ),
]

PAIRS = PASSING + FAILING
assert len(PASSING) == 25 and len(FAILING) == 25

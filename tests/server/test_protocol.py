"""The request side of the SPARQL Protocol read without Flask's request: percent-decoding and strict UTF-8."""

from __future__ import annotations

import random
import urllib.parse

import pytest
from werkzeug.exceptions import BadRequest

from server.protocol import parameters, unquote

TRICKY = [b"", b"%", b"%4", b"%zz", b"%4g", b"%%41", b"%41%", b"a+b", b"%2B+", b"\\", b"\\x41", b"%5Cx41",
          b"\\%41", b"%5C%5C", b"%e2%82%ac", b"%E2%82%AC", b"%FF", b"%00", b"+%+41", b"\\x", b"%5c%78%34%31"]


@pytest.mark.parametrize("data", TRICKY)
def test_unquote_agrees_with_urllib(data):
    """Percent-decoding gives urllib's bytes, for malformed escapes and backslashes too."""
    assert unquote(data) == urllib.parse.unquote_to_bytes(data.replace(b"+", b" "))


def test_unquote_agrees_with_urllib_on_random_text():
    """On 20,000 random strings of %, hex digits, backslashes, x and + the two decoders agree."""
    rng = random.Random(7)
    alphabet = b"%\\x+aF09 z"
    for _ in range(20_000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert unquote(data) == urllib.parse.unquote_to_bytes(data.replace(b"+", b" ")), data


def test_parameters_keep_order_repeats_and_blanks():
    """A form's pairs are read as werkzeug reads them: repeated names kept in order, blank values kept."""
    params = parameters(b"query=ASK+%7B%7D&named-graph-uri=a&named-graph-uri=b&format=&&x", "the form")
    assert params.getlist("named-graph-uri") == ["a", "b"]
    assert params["query"] == "ASK {}"
    assert params["format"] == ""
    assert params["x"] == ""


def test_parameters_that_are_not_utf8_are_refused_naming_the_byte():
    """A value that is not UTF-8 is a 400 naming where and which byte, not replacement characters."""
    with pytest.raises(BadRequest) as e:
        parameters(b"a=%C3%A9&query=x%FFy", "the form")
    assert e.value.description.startswith("the form is not UTF-8: byte 12 is b'\\xff'")

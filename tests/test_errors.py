"""Errors: one tree under RagError, drawn in the module docstring, each exported by rag."""

import inspect

import pytest

import rag
from rag import errors


def error_classes():
    return [c for _, c in inspect.getmembers(errors, inspect.isclass)
            if issubclass(c, Exception) and c.__module__ == errors.__name__]


def test_every_error_is_a_rag_error_exported_and_drawn_in_the_tree():
    classes = error_classes()
    assert len(classes) == 10
    for cls in classes:
        assert issubclass(cls, rag.RagError)
        assert getattr(rag, cls.__name__) is cls and cls.__name__ in rag.__all__
        assert cls.__name__ in errors.__doc__ and cls.__doc__


def test_argument_error_is_also_a_value_error():
    with pytest.raises(ValueError, match="k must be"):
        raise rag.ArgumentError("k must be a whole number of quotes, 1 or more; got 0.")
    assert not issubclass(rag.QuestionError, ValueError)


def test_bad_arguments_raise_argument_error(bot):
    with pytest.raises(rag.ArgumentError, match="k must be a whole number"):
        bot.ask("Who is Betsy Cooper?", k=True)
    with pytest.raises(rag.ArgumentError, match="doc must be an article id"):
        bot.ask("Who is Betsy Cooper?", doc=3)
    with pytest.raises(rag.ArgumentError, match="context must be the previous question"):
        bot.ask("Who is Betsy Cooper?", context=["x"])

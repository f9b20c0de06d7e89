"""DataFlow's ``dataflow.core`` names, for DataFlow code that types against them: its base
classes are ours under DataFlow's names (``streamflow migrate`` rewrites to the direct paths)."""

from streamflow.actors.base import Operator as OperatorABC
from streamflow.serving.base import LLMServing as LLMServingABC

__all__ = ["LLMServingABC", "OperatorABC"]

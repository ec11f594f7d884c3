"""The only package that imports SpiffWorkflow: compile models, start and restore runs, dump state.

Outside it a model is a :class:`Model` (elements, forms, assignment as plain dataclasses) and a
running instance is a :class:`Run`; its saved state is a JSON-ready dict without the spec, which
is rebuilt from the deployed model that the instance is pinned to. Every engine call runs under
the budget and checks of :mod:`workflow.engine.guard`.
"""

from workflow.engine.clock import clock
from workflow.engine.parsing import ModelCache, compile_model, lint
from workflow.engine.run import Done, Model, ReadyTask, Run
from workflow.modelxml import Element, Flow, Problem

__all__ = ["Done", "Element", "Flow", "Model", "ModelCache", "Problem", "ReadyTask", "Run", "clock", "compile_model",
           "lint"]

"""Evaluation of any model on the registered tasks: model specs -> backends (`bbt.eval.backends`), the harness
that runs them with a resumable per-example cache and writes the result JSON (`bbt.eval.harness`)."""

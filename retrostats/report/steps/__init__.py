"""The steps of ``retrostats reproduce``, one module per section of ``paper/paper.md``, in the paper's order.

==================  ==========================================================  =========================
module              paper section                                               steps
==================  ==========================================================  =========================
``registry``        The evidence registry                                       registry, evidence_map,
                                                                                reviews
``pooling``         Effect sizes from the registry, and what can be pooled      registry_effects,
                                                                                registry_meta,
                                                                                registry_decision
``synthetic_meta``  Meta-analysis with all diagnostics (synthetic)              synthetic_meta
``bayesian``        Bayesian synthesis (synthetic)                              bayes
``planning``        Planning the next retro-vs-forward trial                    planning
``participants``    Participant-level reanalysis (synthetic three-arm trial)    participants
``rob``             Figures for risk of bias                                    rob
``colophon``        Colophon                                                    colophon
==================  ==========================================================  =========================

:data:`STEPS` is the one list of steps: ``retrostats reproduce`` runs exactly these, in this order (workers
may run independent steps at the same time; their outputs are merged in this order). A step is added by
writing it in its section's module with :func:`retrostats.report.context.step` and listing it here; a name
that is not listed is an error for ``--only``, never a silent skip, and ``tests/test_report_steps.py`` checks
that every step defined in these modules is listed.
"""

from __future__ import annotations

from . import bayesian, colophon, participants, planning, pooling, registry, rob, synthetic_meta

__all__ = ["STEPS"]

#: every step of the reproduce pipeline, in the order of the paper's sections
STEPS = (
    registry.registry,
    registry.evidence_map,
    registry.reviews,
    pooling.registry_effects,
    pooling.registry_meta,
    pooling.registry_decision,
    synthetic_meta.synthetic_meta,
    bayesian.bayes,
    planning.planning,
    participants.participants,
    rob.rob,
    colophon.colophon,
)

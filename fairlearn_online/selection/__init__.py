"""Fair subset selection from multiple (biased) rankings (docs/user_guide/selection.md).

* :class:`OWARule` and the named rules of :data:`RULES`: committee scoring rules in OWA form;
* :class:`MultiwinnerSelector`: streaming selector with group constraints and exact / greedy
  solvers;
* :func:`make_biased_rankings`, :func:`quality_ratio`, :func:`rankings_needed`: the bias model of
  Boehmer et al. (ICML 2023) and the simulation tool estimating how many rankings a rule needs.
"""

from ._bias import make_biased_rankings, quality_ratio, rankings_needed
from ._rules import RULES, OWARule, get_rule
from ._selector import MultiwinnerSelector

__all__ = ["MultiwinnerSelector", "OWARule", "RULES", "get_rule", "make_biased_rankings",
           "quality_ratio", "rankings_needed"]

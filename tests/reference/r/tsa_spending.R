# Lan-DeMets alpha-spending boundaries (two-sided, symmetric) at arbitrary information fractions, from rpact.
# Used by tests/test_decision_spending.py to check retrostats.kernels.spending.boundaries to 1e-6.
source("_common.R")
suppressPackageStartupMessages(library(rpact))

grid <- list(
  list(t = c(0.2, 0.5, 0.9)),
  list(t = c(0.5, 1)),
  list(t = c(0.25, 0.5, 0.75, 1)),
  list(t = c(0.1, 0.3, 0.45, 0.6, 0.8, 1)),
  list(t = c(0.037, 0.129, 0.411, 0.527, 0.874)),
  list(t = c(0.33, 0.35, 0.8)),
  list(t = c(0.6, 0.62, 0.99, 1)),
  list(t = c(0.0523, 0.2917, 0.3311, 0.6847, 0.7012, 0.9508, 1)),
  list(t = c(1)),
  list(t = c(0.15, 0.4)),
  list(t = c(0.3, 0.7)),
  list(t = c(0.35, 0.55, 0.8, 1)),
  list(t = c(0.28, 0.46, 0.71, 0.93)),
  list(t = c(0.5, 0.75)),
  list(t = c(0.45, 0.9)),
  list(t = c(0.4, 0.6, 0.8, 1))
)
cases <- list()
calls <- c()
for (g in grid) {
  for (type in c("asOF", "asP")) {
    for (alpha in c(0.05, 0.01)) {
      d <- getDesignGroupSequential(kMax = length(g$t), sided = 2, alpha = alpha, typeOfDesign = type,
                                    informationRates = g$t, tolerance = 1e-10)
      cases[[length(cases) + 1]] <- list(
        t = as_array(g$t), alpha = alpha, spending = if (type == "asOF") "obf" else "pocock",
        upper = as_array(d$criticalValues), alpha_spent = as_array(d$alphaSpent)
      )
    }
  }
}
calls <- c("getDesignGroupSequential(kMax = length(t), sided = 2, alpha = alpha, typeOfDesign = 'asOF' | 'asP', informationRates = t, tolerance = 1e-10)")
write_reference(list(cases = cases), "tsa_spending", calls = calls, packages = c("rpact"))

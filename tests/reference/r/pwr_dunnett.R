# Reference two-sided Dunnett critical values (m comparisons with a common control, correlation rho) from
# mvtnorm::pmvt (Genz-Bretz, abseps 1e-9), inverted with uniroot; used for retrostats.power_three_arm.
source("_common.R")
suppressPackageStartupMessages(library(mvtnorm))
set.seed(20261122)
g <- expand.grid(m = c(2, 3), df = c(10, 27, 60, 200), alpha = c(0.05, 0.01), rho = c(0.5, 0.3))
crit <- numeric(nrow(g))
for (i in seq_len(nrow(g))) {
  a <- g[i, ]
  S <- matrix(a$rho, a$m, a$m); diag(S) <- 1
  f <- function(c) {
    set.seed(1)
    as.numeric(pmvt(lower = rep(-c, a$m), upper = rep(c, a$m), df = a$df, corr = S,
                    algorithm = GenzBretz(maxpts = 2e6, abseps = 1e-9, releps = 0))) - (1 - a$alpha)
  }
  crit[i] <- uniroot(f, c(1.5, 6), tol = 1e-10)$root
}
g$crit <- crit
write_reference(list(dunnett = g), "pwr_dunnett",
                calls = c("uniroot(function(c) pmvt(-c, c, df, corr, GenzBretz(abseps = 1e-9)) - (1 - alpha))"),
                packages = c("mvtnorm"))

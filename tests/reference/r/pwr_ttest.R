# Reference values for retrostats.power_ttest from R pwr (pwr.t.test for ratio 1, pwr.t2n.test otherwise).
# Three blocks: power given (n, d); n given (d, power); d given (n, power).
# For the solved quantities we record (a) pwr's own answer (uniroot with its default tol, ~1.2e-4) and
# (b) the root of pwr's own power function found by uniroot with tol 1e-13, for a tight comparison.
source("_common.R")
suppressPackageStartupMessages(library(pwr))

pw <- function(n, d, alpha, alt, ratio) {
  if (ratio == 1) pwr.t.test(n = n, d = d, sig.level = alpha, alternative = alt)$power
  else pwr.t2n.test(n1 = n, n2 = ratio * n, d = d, sig.level = alpha, alternative = alt)$power
}
sgn <- function(alt) if (alt == "less") -1 else 1
alts <- c("two.sided", "greater", "less")

# block 1: power
g1 <- expand.grid(n = c(4, 10.5, 20, 64, 150), d = c(0.2, 0.5, 0.8, 1.3), alpha = c(0.01, 0.05, 0.1),
                  alternative = alts, ratio = c(1, 0.5, 2, 3), stringsAsFactors = FALSE)
g1$d <- g1$d * sapply(g1$alternative, sgn)
g1$power <- mapply(pw, g1$n, g1$d, g1$alpha, g1$alternative, g1$ratio)

# block 2: n
g2 <- expand.grid(d = c(0.3, 0.5, 0.8), power = c(0.8, 0.9), alpha = c(0.01, 0.05),
                  alternative = alts, ratio = c(1, 0.5, 2), stringsAsFactors = FALSE)
g2$d <- g2$d * sapply(g2$alternative, sgn)
g2$n_pwr <- NA; g2$n_tight <- NA
for (i in seq_len(nrow(g2))) {
  a <- g2[i, ]
  lo <- 2 / min(1, a$ratio) * (1 + 1e-10)
  if (a$ratio == 1) {
    g2$n_pwr[i] <- pwr.t.test(d = a$d, power = a$power, sig.level = a$alpha, alternative = a$alternative)$n
    lo <- 2 + 1e-10
  } else {
    # pwr.t2n.test solves n1 with n2 fixed; our n2 = ratio * n1 moves with n1, so only the tight root applies
    g2$n_pwr[i] <- NA
  }
  g2$n_tight[i] <- uniroot(function(n) pw(n, a$d, a$alpha, a$alternative, a$ratio) - a$power,
                           c(lo, 1e9), tol = 1e-13)$root
}

# block 3: d
g3 <- expand.grid(n = c(8, 30, 100), power = c(0.8, 0.9), alpha = c(0.01, 0.05),
                  alternative = alts, ratio = c(1, 0.5, 2), stringsAsFactors = FALSE)
g3$d_pwr <- NA; g3$d_tight <- NA
for (i in seq_len(nrow(g3))) {
  a <- g3[i, ]
  g3$d_pwr[i] <- if (a$ratio == 1) {
    pwr.t.test(n = a$n, power = a$power, sig.level = a$alpha, alternative = a$alternative)$d
  } else {
    pwr.t2n.test(n1 = a$n, n2 = a$ratio * a$n, power = a$power, sig.level = a$alpha,
                 alternative = a$alternative)$d
  }
  iv <- switch(a$alternative, two.sided = c(1e-7, 10), less = c(-10, -1e-7), greater = c(1e-7, 10))
  g3$d_tight[i] <- uniroot(function(d) pw(a$n, d, a$alpha, a$alternative, a$ratio) - a$power, iv,
                           tol = 1e-13)$root
}

write_reference(
  list(power = g1, n = g2, d = g3, uniroot_default_tol = .Machine$double.eps^0.25),
  "pwr_ttest",
  calls = c("pwr.t.test(n, d, sig.level, alternative)", "pwr.t2n.test(n1 = n, n2 = ratio * n, d, sig.level, alternative)",
            "pwr.t.test(d, power, sig.level, alternative)$n", "pwr.t.test(n, power, ...)$d / pwr.t2n.test(n1, n2, power, ...)$d",
            "uniroot(function(x) <pwr power> - power, interval, tol = 1e-13)$root"),
  packages = c("pwr")
)

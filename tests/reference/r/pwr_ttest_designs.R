# Reference values for retrostats.power_ttest(type=, n2=, alpha=None) from R pwr:
# one-sample and paired designs (pwr.t.test type = "one.sample" / "paired"), solving for alpha
# (sig.level = NULL), and pwr.t2n.test with a fixed n2 (solving n1).
# Solved quantities: pwr's own answer (uniroot, default tol ~1.2e-4) and the root of pwr's own power
# function by uniroot with tol 1e-13 (the tight comparison).
source("_common.R")
suppressPackageStartupMessages(library(pwr))

alts <- c("two.sided", "greater", "less")
sgn <- function(alt) if (alt == "less") -1 else 1
pw1 <- function(n, d, alpha, alt, type) pwr.t.test(n = n, d = d, sig.level = alpha, alternative = alt, type = type)$power
pw2 <- function(n1, n2, d, alpha, alt) pwr.t2n.test(n1 = n1, n2 = n2, d = d, sig.level = alpha, alternative = alt)$power
tight <- function(f, target, iv) uniroot(function(x) f(x) - target, iv, tol = 1e-13)$root
safe <- function(expr) tryCatch(expr, error = function(e) NA_real_)

# block 1: power of one-sample / paired
g1 <- expand.grid(n = c(3, 10.5, 25, 80), d = c(0.2, 0.5, 1.1), alpha = c(0.01, 0.05, 0.1),
                  alternative = alts, type = c("one.sample", "paired"), stringsAsFactors = FALSE)
g1$d <- g1$d * sapply(g1$alternative, sgn)
g1$power <- mapply(pw1, g1$n, g1$d, g1$alpha, g1$alternative, g1$type)

# block 2: n of one-sample / paired
g2 <- expand.grid(d = c(0.3, 0.6, 1), power = c(0.8, 0.9), alpha = c(0.01, 0.05), alternative = alts,
                  type = c("one.sample", "paired"), stringsAsFactors = FALSE)
g2$d <- g2$d * sapply(g2$alternative, sgn)
g2$n_pwr <- NA; g2$n_tight <- NA
for (i in seq_len(nrow(g2))) {
  a <- g2[i, ]
  g2$n_pwr[i] <- pwr.t.test(d = a$d, power = a$power, sig.level = a$alpha, alternative = a$alternative,
                            type = a$type)$n
  g2$n_tight[i] <- tight(function(n) pw1(n, a$d, a$alpha, a$alternative, a$type), a$power, c(2 + 1e-10, 1e9))
}

# block 3: d of one-sample / paired
g3 <- expand.grid(n = c(8, 30, 100), power = c(0.8, 0.9), alpha = c(0.01, 0.05), alternative = alts,
                  type = c("one.sample", "paired"), stringsAsFactors = FALSE)
g3$d_pwr <- NA; g3$d_tight <- NA
for (i in seq_len(nrow(g3))) {
  a <- g3[i, ]
  g3$d_pwr[i] <- pwr.t.test(n = a$n, power = a$power, sig.level = a$alpha, alternative = a$alternative,
                            type = a$type)$d
  iv <- switch(a$alternative, two.sided = c(1e-7, 10), less = c(-10, -1e-7), greater = c(1e-7, 10))
  g3$d_tight[i] <- tight(function(d) pw1(a$n, d, a$alpha, a$alternative, a$type), a$power, iv)
}

# block 4: alpha (sig.level = NULL); design "t2n" is pwr.t2n.test with n2 = 2 n
g4 <- expand.grid(n = c(10, 30, 80), d = c(0.3, 0.6), power = c(0.5, 0.8), alternative = alts,
                  design = c("two.sample", "one.sample", "paired", "t2n"), stringsAsFactors = FALSE)
g4$d <- g4$d * sapply(g4$alternative, sgn)
g4$alpha_pwr <- NA; g4$alpha_tight <- NA
for (i in seq_len(nrow(g4))) {
  a <- g4[i, ]
  f <- if (a$design == "t2n") function(s) pw2(a$n, 2 * a$n, a$d, s, a$alternative)
       else function(s) pw1(a$n, a$d, s, a$alternative, a$design)
  g4$alpha_pwr[i] <- safe(if (a$design == "t2n") {
    pwr.t2n.test(n1 = a$n, n2 = 2 * a$n, d = a$d, power = a$power, sig.level = NULL, alternative = a$alternative)$sig.level
  } else {
    pwr.t.test(n = a$n, d = a$d, power = a$power, sig.level = NULL, alternative = a$alternative, type = a$design)$sig.level
  })
  g4$alpha_tight[i] <- safe(tight(f, a$power, c(1e-10, 1 - 1e-10)))
}

# block 5: n1 with n2 fixed (pwr.t2n.test(n2 = ., n1 = NULL)); NA where no n1 reaches the power
g5 <- expand.grid(n2 = c(20, 60, 200), d = c(0.4, 0.8), power = c(0.8, 0.9), alpha = c(0.01, 0.05),
                  alternative = alts, stringsAsFactors = FALSE)
g5$d <- g5$d * sapply(g5$alternative, sgn)
g5$n1_pwr <- NA; g5$n1_tight <- NA
for (i in seq_len(nrow(g5))) {
  a <- g5[i, ]
  g5$n1_pwr[i] <- safe(pwr.t2n.test(n2 = a$n2, d = a$d, power = a$power, sig.level = a$alpha,
                                    alternative = a$alternative)$n1)
  g5$n1_tight[i] <- safe(tight(function(n1) pw2(n1, a$n2, a$d, a$alpha, a$alternative), a$power,
                               c(2 + 1e-10, 1e9)))
}

write_reference(
  list(power = g1, n = g2, d = g3, alpha = g4, n1 = g5, uniroot_default_tol = .Machine$double.eps^0.25),
  "pwr_ttest_designs",
  calls = c("pwr.t.test(n, d, sig.level, alternative, type = 'one.sample' | 'paired')",
            "pwr.t.test(d, power, ..., type)$n", "pwr.t.test(n, power, ..., type)$d",
            "pwr.t.test(n, d, power, sig.level = NULL, ...)$sig.level / pwr.t2n.test(n1, n2 = 2 n1, d, power, sig.level = NULL)",
            "pwr.t2n.test(n2, d, power, sig.level, alternative)$n1",
            "uniroot(function(x) <pwr power> - target, interval, tol = 1e-13)$root"),
  packages = c("pwr")
)

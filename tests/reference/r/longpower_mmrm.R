# Reference values for retrostats.power_mmrm from R longpower (power.mmrm, power.mmrm.ar1) and an
# independent closed form written from Lu, Luo & Chen (2008), formula (3).
# longpower is not a Debian package: this script needs longpower 1.0.27 visible to R (R_LIBS); the committed
# JSON records the version it was generated with.
# retrostats arguments: n = longpower n1, ratio = 1 / lambda, effect_size = delta / sigmaa (sigmaa = 1),
# sd_ratio = sigmab / sigmaa with sd_combination = "longpower" (longpower averages the two SDs).
source("_common.R")
suppressPackageStartupMessages(library(longpower))

cs <- function(J, r) { m <- matrix(r, J, J); diag(m) <- 1; m }
ar1 <- function(J, r) r^abs(outer(1:J, 1:J, "-"))
un <- matrix(c(1, .6, .5, .4, .6, 1, .65, .55, .5, .65, 1, .7, .4, .55, .7, 1), 4, 4)
mats <- list(cs25 = cs(4, 0.25), ar1_6 = ar1(4, 0.6), un = un, cs5 = cs(4, 0.5))
rets <- list(lin70 = c(1, .9, .8, .7), lp_a = c(100, 76, 63, 52) / 100, lp_b = c(100, 87, 81, 78) / 100)
tol <- .Machine$double.eps^2
alt_lp <- c(two.sided = "two.sided", greater = "one.sided")

# block 1: longpower power.mmrm, group-specific Ra/Rb, ra/rb, lambda, sigmab; solve N, power, delta, sig.level
g <- expand.grid(Ra = c("cs25", "un"), Rb = c("same", "ar1_6"), ra = c("lin70", "lp_a"), rb = c("same", "lp_b"),
                 lambda = c(1, 2, 0.5), sigmab = c(NA, 1.5), alternative = c("two.sided", "greater"),
                 stringsAsFactors = FALSE)
g$N <- NA; g$n1 <- NA; g$power <- NA; g$delta <- NA; g$sig.level <- NA; g$N_alpha <- NA
for (i in seq_len(nrow(g))) {
  a <- g[i, ]
  Ra <- mats[[a$Ra]]; Rb <- if (a$Rb == "same") NULL else mats[[a$Rb]]
  ra <- rets[[a$ra]]; rb <- if (a$rb == "same") NULL else rets[[a$rb]]
  sb <- if (is.na(a$sigmab)) NULL else a$sigmab
  args <- list(Ra = Ra, ra = ra, sigmaa = 1, Rb = Rb, rb = rb, sigmab = sb, lambda = a$lambda,
               alternative = alt_lp[[a$alternative]], tol = tol)
  r1 <- do.call(power.mmrm, c(args, list(delta = 0.5, power = 0.8)))        # N
  g$n1[i] <- r1$n1; g$N[i] <- r1$n1 + r1$n2
  N <- 150
  g$power[i] <- do.call(power.mmrm, c(args, list(N = N, delta = 0.5)))$power
  g$delta[i] <- do.call(power.mmrm, c(args, list(N = N, power = 0.8)))$delta
  g$N_alpha[i] <- round(1.2 * g$N[i])
  # one-sided: longpower's N(sig.level) is not monotone on (0, 1) (qnorm(sig.level) + qnorm(1 - power) changes
  # sign), so its uniroot fails or does not return; only two-sided sig.level is recorded
  if (a$alternative == "two.sided")
    g$sig.level[i] <- do.call(power.mmrm, c(args, list(N = g$N_alpha[i], delta = 0.5, power = 0.8, sig.level = NULL)))$sig.level
}

# block 2: power.mmrm.ar1 (closed-form phi of Lu, Luo & Chen for AR(1)) against the general formula
g2 <- expand.grid(rho = c(0.2, 0.6, 0.9), ra = c("lin70", "lp_a"), rb = c("same", "lp_b"), lambda = c(1, 2),
                  stringsAsFactors = FALSE)
g2$n1 <- NA; g2$phi1 <- NA; g2$phi2 <- NA
for (i in seq_len(nrow(g2))) {
  a <- g2[i, ]
  rb <- if (a$rb == "same") NULL else rets[[a$rb]]
  r <- power.mmrm.ar1(rho = a$rho, ra = rets[[a$ra]], sigmaa = 1, rb = rb, lambda = a$lambda, delta = 0.5,
                      power = 0.8)
  g2$n1[i] <- r$n1; g2$phi1[i] <- r$phi1; g2$phi2[i] <- r$phi2
}

# block 3: separate group SDs and t quantiles, written from the paper (independent of longpower's code):
# V = sa^2 phi_a / n1 + sb^2 phi_b / n2, phi = [ (sum_j (r_j - r_{j+1}) pad(R_{1:j}^{-1}))^{-1} ]_{JJ};
# normal: power = pnorm(delta / sqrt(V) - qnorm(1 - a)); t: pt(delta / sqrt(V) - qt(1 - a, v), v), v = n1 + n2 - 2
phi <- function(R, r) {
  J <- nrow(R); r0 <- c(r, 0); I <- matrix(0, J, J)
  for (j in 1:J) I[1:j, 1:j] <- I[1:j, 1:j] + (r0[j] - r0[j + 1]) * solve(R[1:j, 1:j, drop = FALSE])
  solve(I)[J, J]
}
g3 <- expand.grid(Ra = c("cs25", "un"), Rb = c("same", "ar1_6"), rb = c("same", "lp_b"), ratio = c(1, 2, 0.5),
                  sd_ratio = c(1, 0.7, 1.5), n = c(12, 60), alternative = c("two.sided", "greater"),
                  distribution = c("normal", "t"), stringsAsFactors = FALSE)
g3$power <- NA; g3$n_tight <- NA
for (i in seq_len(nrow(g3))) {
  a <- g3[i, ]
  Ra <- mats[[a$Ra]]; Rb <- if (a$Rb == "same") Ra else mats[[a$Rb]]
  ra <- rets$lin70; rb <- if (a$rb == "same") ra else rets[[a$rb]]
  pa <- phi(Ra, ra); pb <- phi(Rb, rb)
  al <- if (a$alternative == "two.sided") 0.025 else 0.05
  pf <- function(n1) {
    se <- sqrt(pa / n1 + a$sd_ratio^2 * pb / (a$ratio * n1))
    if (a$distribution == "normal") pnorm(0.5 / se - qnorm(1 - al))
    else { v <- n1 * (1 + a$ratio) - 2; pt(0.5 / se - qt(1 - al, v), v) }
  }
  g3$power[i] <- pf(a$n)
  g3$n_tight[i] <- uniroot(function(x) pf(x) - 0.8, c(3, 1e6), tol = 1e-13)$root
}

write_reference(
  list(longpower = g, ar1 = g2, separate = g3, N_for_power = 150, delta = 0.5, target_power = 0.8),
  "longpower_mmrm",
  calls = c("power.mmrm(Ra, ra, sigmaa = 1, Rb, rb, sigmab, lambda, delta, power | N, alternative, tol = eps^2)",
            "power.mmrm.ar1(rho, ra, sigmaa = 1, rb, lambda, delta = 0.5, power = 0.8)",
            "closed form of Lu, Luo & Chen (2008) formula (3) with separate SDs; normal and t quantiles"),
  packages = c("longpower")
)

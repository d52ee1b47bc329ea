# Reference values for retrostats.meta (issue 4): rma() with every estimator and test, and every verb.
# Run from tests/reference/r:  Rscript meta_rma.R   (writes ../expected/meta_rma.json)
# Solver settings are tightened (threshold, tol scaled to the data) so that R reports the converged optimum.
source("_common.R")
suppressPackageStartupMessages(library(metafor))

datasets <- list()
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
datasets$bcg <- data.frame(yi = c(d$yi), vi = c(d$vi), ablat = d$ablat, year = d$year, alloc = as.character(d$alloc))
d <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
datasets$normand_smd <- data.frame(yi = c(d$yi), vi = c(d$vi))
d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
datasets$normand_md <- data.frame(yi = c(d$yi), vi = c(d$vi))
datasets$hackshaw <- data.frame(yi = dat.hackshaw1998$yi, vi = dat.hackshaw1998$vi)
datasets$small5 <- datasets$normand_smd[1:5, ]                       # k = 5, like a retro-walking outcome
d <- escalc(measure = "RD", n1i = n1i, n2i = n2i, ai = ai, ci = ci, data = dat.hine1989)
datasets$hine_homog <- data.frame(yi = c(d$yi), vi = c(d$vi))      # REML tau2 = 0

methods <- c("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")

ctl_for <- function(y) {
  s <- max(1, var(y))
  list(threshold = 1e-11 * s, maxiter = 10000, tol = 1e-12 * s, tau2.max = 1e4 * s)
}

fit_entry <- function(r, dat, ctl) {
  pr <- predict(r)
  e <- list(k = r$k, estimate = c(r$beta)[1], se = r$se[1], zval = r$zval[1], pval = r$pval[1],
            ci_lb = r$ci.lb[1], ci_ub = r$ci.ub[1],
            pi_lb = if (is.null(pr$pi.lb)) NA else pr$pi.lb, pi_ub = if (is.null(pr$pi.ub)) NA else pr$pi.ub,
            tau2 = r$tau2, I2 = r$I2, H2 = r$H2, QE = r$QE, QEp = r$QEp,
            weights = as_array(weights(r)))
  b <- blup(r)
  e$blup <- list(pred = as_array(b$pred), se = as_array(b$se), pi_lb = as_array(b$pi.lb), pi_ub = as_array(b$pi.ub))
  if (r$method != "EE") {
    ci <- confint(r, control = list(tol = ctl$tol, tau2.max = ctl$tau2.max))$random
    e$confint <- list(tau2 = as_array(ci[1, ]), tau = as_array(ci[2, ]), I2 = as_array(ci[3, ]), H2 = as_array(ci[4, ]))
  }
  l1 <- leave1out(r)
  e$leave1out <- list(estimate = as_array(l1$estimate), se = as_array(l1$se), pval = as_array(l1$pval),
                      ci_lb = as_array(l1$ci.lb), ci_ub = as_array(l1$ci.ub), QE = as_array(l1$Q),
                      tau2 = as_array(l1$tau2), I2 = as_array(l1$I2), H2 = as_array(l1$H2))
  cu <- cumul(r)
  e$cumul <- list(estimate = as_array(cu$estimate), se = as_array(cu$se), pval = as_array(cu$pval),
                  ci_lb = as_array(cu$ci.lb), ci_ub = as_array(cu$ci.ub), QE = as_array(cu$Q),
                  tau2 = as_array(cu$tau2), I2 = as_array(cu$I2), H2 = as_array(cu$H2))
  inf <- influence(r)
  e$influence <- list(rstudent = as_array(inf$inf$rstudent), dffits = as_array(inf$inf$dffits),
                      cook_d = as_array(inf$inf$cook.d), cov_r = as_array(inf$inf$cov.r),
                      tau2_del = as_array(inf$inf$tau2.del), QE_del = as_array(inf$inf$QE.del),
                      hat = as_array(inf$inf$hat), weight = as_array(inf$inf$weight),
                      dfbs = as_array(inf$dfbs[[1]]), is_infl = as_array(as.numeric(inf$is.infl)))
  rt <- suppressWarnings(regtest(r))
  e$regtest <- list(zval = rt$zval, pval = rt$pval, est = if (is.null(rt$est)) NA else rt$est)
  if (r$k <= 9) {  # 2^k <= 1000: permutest enumerates all sign flips (exact, deterministic)
    pt <- permutest(r, iter = 1000)
    e$permutest_exact <- list(pval = pt$pval[1], iter = 2^r$k)
  }
  e
}

out <- list(fits = list(), trimfill = list(), ranktest = list(), regtest_lm = list(), datasets = list())
for (dn in names(datasets)) {
  dat <- datasets[[dn]]
  ctl <- ctl_for(dat$yi)
  out$datasets[[dn]] <- list(yi = as_array(dat$yi), vi = as_array(dat$vi))
  for (m in methods) {
    for (tt in tests) {
      r <- suppressWarnings(rma(yi, vi, data = dat, method = m, test = tt, control = ctl))
      out$fits[[paste(dn, m, tt, sep = "|")]] <- fit_entry(r, dat, ctl)
    }
    r <- rma(yi, vi, data = dat, method = m, control = ctl)
    tf <- suppressWarnings(trimfill(r, control = ctl))
    tf0 <- suppressWarnings(trimfill(r, estimator = "R0", control = ctl))
    out$trimfill[[paste(dn, m, sep = "|")]] <- list(
      L0 = list(k0 = tf$k0, side = tf$side, estimate = c(tf$beta), se = tf$se, ci_lb = tf$ci.lb, ci_ub = tf$ci.ub,
                pval = tf$pval, tau2 = tf$tau2),
      R0 = list(k0 = tf0$k0, side = tf0$side, estimate = c(tf0$beta), se = tf0$se, ci_lb = tf0$ci.lb,
                ci_ub = tf0$ci.ub, pval = tf0$pval, tau2 = tf0$tau2))
  }
  r <- rma(yi, vi, data = dat, method = "EE")
  rk <- suppressWarnings(ranktest(r))
  out$ranktest[[dn]] <- list(tau = unname(rk$tau), pval = rk$pval)
  rl <- regtest(r, model = "lm")
  out$regtest_lm[[dn]] <- list(zval = rl$zval, pval = rl$pval, dfs = rl$dfs, est = rl$est)
}

# meta-regression (bcg: absolute latitude; latitude + year) and subgroups (bcg: allocation)
bcg <- datasets$bcg
ctl <- ctl_for(bcg$yi)
out$metareg <- list()
for (m in methods) for (tt in tests) for (mf in c("ablat", "ablat+year")) {
  f <- as.formula(paste("~", mf))
  r <- suppressWarnings(rma(yi, vi, mods = f, data = bcg, method = m, test = tt, control = ctl))
  e <- list(beta = as_array(c(r$beta)), se = as_array(r$se), zval = as_array(r$zval), pval = as_array(r$pval),
            ci_lb = as_array(r$ci.lb), ci_ub = as_array(r$ci.ub), QM = r$QM, QMp = r$QMp, tau2 = r$tau2,
            I2 = r$I2, H2 = r$H2, QE = r$QE, QEp = r$QEp, R2 = if (is.null(r$R2)) NA else r$R2)
  if (m %in% c("DL", "REML")) {
    inf <- influence(r)
    e$influence <- list(rstudent = as_array(inf$inf$rstudent), dffits = as_array(inf$inf$dffits),
                        cook_d = as_array(inf$inf$cook.d), cov_r = as_array(inf$inf$cov.r),
                        hat = as_array(inf$inf$hat), tau2_del = as_array(inf$inf$tau2.del))
    rt <- regtest(r)
    e$regtest <- list(zval = rt$zval, pval = rt$pval)
  }
  out$metareg[[paste(m, tt, mf, sep = "|")]] <- e
}
out$subgroups <- list()
for (m in methods) for (tt in tests) {
  est <- se <- k <- tau2 <- c()
  for (g in sort(unique(bcg$alloc))) {
    r <- suppressWarnings(rma(yi, vi, data = bcg, subset = alloc == g, method = m, test = tt, control = ctl))
    est <- c(est, c(r$beta)); se <- c(se, r$se); k <- c(k, r$k); tau2 <- c(tau2, r$tau2)
  }
  qb <- rma(est, sei = se, method = "EE")
  out$subgroups[[paste(m, tt, sep = "|")]] <- list(groups = sort(unique(bcg$alloc)), estimate = as_array(est),
                                                   se = as_array(se), k = as_array(k), tau2 = as_array(tau2),
                                                   Qb = qb$QE, Qbp = qb$QEp)
}

# random permutation tests (Monte-Carlo): bcg REML, intercept only and with ablat, 1000 iterations
set.seed(20261122)
r <- rma(yi, vi, data = bcg, method = "REML", control = ctl)
p1 <- permutest(r, iter = 1000)
r2 <- rma(yi, vi, mods = ~ablat, data = bcg, method = "REML", control = ctl)
p2 <- permutest(r2, iter = 1000)
out$permutest_random <- list(int_only = list(pval = p1$pval[1], iter = 1000),
                             ablat = list(QMp = p2$QMp, pval = as_array(p2$pval), iter = 1000))

out$grid <- list(datasets = names(datasets), methods = methods, tests = tests)
write_reference(out, "meta_rma", calls = c(
  "rma(yi, vi, method = m, test = t, control = list(threshold = 1e-11*s, tol = 1e-12*s, tau2.max = 1e4*s, maxiter = 1e4)), s = max(1, var(yi))",
  "predict(), blup(), confint(), leave1out(), cumul(), influence(), regtest(), ranktest(), trimfill(L0, R0), permutest()",
  "rma(yi, vi, mods = ~ ablat [+ year]) on dat.bcg; subgroups by alloc with rma(est, sei = se, method = 'EE') for Q between"
), packages = c("metafor", "metadat"))

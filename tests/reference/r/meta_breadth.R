# Reference values for issue 14 (review breadth): binary escalc (OR RR RD PETO, add/to), rma.mh, rma.peto,
# rma.mv (cluster/effect_id, V, mods, REML/ML, z/t), clubSandwich coef_test CR2, metafor robust() (CR1),
# impute_covariance_matrix, predict, anova(btt=), LRT, fit statistics, se.tau2 and profile-likelihood CIs.
# Run from tests/reference/r:  Rscript meta_breadth.R   (writes ../expected/meta_breadth.json)
source("_common.R")
suppressPackageStartupMessages({library(metafor); library(clubSandwich)})
PK <- c("metafor", "metadat", "clubSandwich")
CTL_UNI <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
CTL_MV <- list(rel.tol = 1e-12, eval.max = 10000, iter.max = 10000)
CTL_OPTIM <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-14, maxit = 10000)
# nlminb at rel.tol 1e-12, falling back to BFGS at reltol 1e-14 when nlminb stops early (both agree to ~1e-8)
rma_mv <- function(...) {
  cl <- match.call(); cl[[1]] <- quote(rma.mv); cl$control <- CTL_MV
  tryCatch(eval(cl, parent.frame()), error = function(e) { cl$control <- CTL_OPTIM; eval(cl, parent.frame()) })
}

# ------------------------------------------------------------------ binary tables
zero <- data.frame(ai = c(0, 3, 0, 5, 12, 0), n1i = c(20, 25, 30, 40, 12, 50),
                   ci = c(2, 0, 0, 5, 10, 4), n2i = c(21, 26, 30, 40, 15, 50))  # single zeros, a double zero, all events in arm 1
tables <- list(
  bcg = data.frame(ai = dat.bcg$tpos, n1i = dat.bcg$tpos + dat.bcg$tneg, ci = dat.bcg$cpos, n2i = dat.bcg$cpos + dat.bcg$cneg),
  nielweise = dat.nielweise2007[, c("ai", "n1i", "ci", "n2i")],
  yusuf6 = dat.yusuf1985[dat.yusuf1985$table == "6", c("ai", "n1i", "ci", "n2i")],
  zero = zero)
tables <- lapply(tables, function(d) { d <- d[complete.cases(d), ]; rownames(d) <- NULL; d })  # Yusuf 6 row "Snow 1" is NA

escalc_grid <- list()
for (nm in names(tables)) {
  d <- tables[[nm]]
  for (m in c("OR", "RR", "RD", "PETO")) for (to in c("only0", "all", "if0all", "none")) for (add in c(0.5, 1)) {
    if (to == "none" && add != 0.5) next
    if (to == "none" && any(d == 0)) next   # infinite/NaN outcomes: we refuse (tested)
    e <- escalc(measure = m, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, add = add, to = to)
    escalc_grid[[length(escalc_grid) + 1]] <- list(data = nm, measure = m, to = to, add = add,
                                                  yi = as_array(e$yi), vi = as_array(e$vi))
  }
}

mh_grid <- list()
for (nm in names(tables)) {
  d <- tables[[nm]]
  for (m in c("OR", "RR", "RD")) {
    r <- rma.mh(measure = m, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
    mh_grid[[length(mh_grid) + 1]] <- list(data = nm, measure = m, k = r$k, estimate = c(r$beta), se = r$se,
      zval = r$zval, pval = r$pval, ci_lb = r$ci.lb, ci_ub = r$ci.ub, QE = r$QE, QEp = r$QEp, I2 = r$I2,
      H2 = r$H2, k_yi = r$k.yi, MH = r$MH, MHp = r$MHp, TA = r$TA, TAp = r$TAp, level90_ci_lb =
      rma.mh(measure = m, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, level = 90)$ci.lb)
  }
}
peto_grid <- list()
for (nm in names(tables)) {
  d <- tables[[nm]]
  r <- rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
  peto_grid[[length(peto_grid) + 1]] <- list(data = nm, k = r$k, estimate = c(r$beta), se = r$se, zval = r$zval,
    pval = r$pval, ci_lb = r$ci.lb, ci_ub = r$ci.ub, QE = r$QE, QEp = r$QEp, I2 = r$I2, H2 = r$H2, k_yi = r$k.yi)
}

# ------------------------------------------------------------------ multilevel / multivariate
kon <- dat.konstantopoulos2011
kon$year_c <- kon$year - 1990
ber <- dat.berkey1998
Vber <- bldiag(lapply(split(ber[, c("v1i", "v2i")], ber$trial), as.matrix))
ber$is_al <- as.numeric(ber$outcome == "AL")
Vche <- impute_covariance_matrix(kon$vi, cluster = kon$district, r = 0.6, return_list = FALSE)

mv_entry <- function(r, cr2 = TRUE) {
  e <- list(beta = as_array(r$beta), se = as_array(r$se), zval = as_array(r$zval), pval = as_array(r$pval),
            ci_lb = as_array(r$ci.lb), ci_ub = as_array(r$ci.ub), sigma2 = as_array(r$sigma2),
            QE = r$QE, QEp = r$QEp, QM = r$QM, QMp = r$QMp, ll = c(logLik(r)),
            AIC = AIC(r), BIC = BIC(r), AICc = fitstats(r)[5, 1], k = r$k, p = r$p, df = if (is.null(r$ddf)) NA else as_array(r$ddf),
            vb = as_array(c(r$vb)))
  if (cr2) {
    ct <- coef_test(r, vcov = "CR2", test = "Satterthwaite")
    e$cr2 <- list(beta = as_array(ct$beta), se = as_array(ct$SE), tstat = as_array(ct$tstat),
                  df = as_array(ct$df_Satt), pval = as_array(ct$p_Satt),
                  vcov = as_array(c(as.matrix(vcovCR(r, type = "CR2")))))
    rb <- robust(r, cluster = r$mf.r[[1]][[1]], adjust = TRUE)
    e$cr1 <- list(beta = as_array(rb$beta), se = as_array(rb$se), tval = as_array(rb$zval), pval = as_array(rb$pval),
                  ci_lb = as_array(rb$ci.lb), ci_ub = as_array(rb$ci.ub), df = as_array(rb$ddf), QM = rb$QM, QMp = rb$QMp)
  }
  e
}
mv_grid <- list()
add_mv <- function(name, data, mods, method, test, r) {
  e <- mv_entry(r)
  mv_grid[[length(mv_grid) + 1]] <<- c(list(data = name, mods = mods, method = method, test = test), e)
}
for (method in c("REML", "ML")) for (test in c("z", "t")) {
  add_mv("kon", "kon", "none", method, test,
         rma_mv(yi, vi, random = ~ 1 | district/school, data = kon, method = method, test = test))
  add_mv("kon", "kon", "year_c", method, test,
         rma_mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = kon, method = method, test = test))
  add_mv("ber", "ber", "is_al", method, test,
         rma_mv(yi, Vber, mods = ~ is_al, random = ~ 1 | trial/outcome, data = ber, method = method, test = test))
  add_mv("che06", "kon", "none", method, test,
         rma_mv(yi, Vche, random = ~ 1 | district/study, data = kon, method = method, test = test))
}

# CHE sensitivity over r (REML, test t)
che <- list()
for (rr in c(0, 0.4, 0.6, 0.8)) {
  V <- impute_covariance_matrix(kon$vi, cluster = kon$district, r = rr, return_list = FALSE)
  r <- rma_mv(yi, V, random = ~ 1 | district/study, data = kon, test = "t")
  ct <- coef_test(r, vcov = "CR2", test = "Satterthwaite")
  che[[length(che) + 1]] <- list(r = rr, beta = c(r$beta), sigma2 = as_array(r$sigma2), se_cr2 = ct$SE,
                                 df = ct$df_Satt, pval = ct$p_Satt)
}

# univariate rma with CR2 / CR1 (cluster = district), and a moderator
uni <- list()
for (mods in c("none", "year_c")) {
  r <- if (mods == "none") rma(yi, vi, data = kon, control = CTL_UNI) else rma(yi, vi, mods = ~ year_c, data = kon, control = CTL_UNI)
  ct <- coef_test(r, vcov = "CR2", cluster = kon$district, test = "Satterthwaite")
  rb <- robust(r, cluster = kon$district, adjust = TRUE)
  uni[[length(uni) + 1]] <- list(mods = mods, tau2 = r$tau2, beta = as_array(r$beta),
    cr2 = list(se = as_array(ct$SE), tstat = as_array(ct$tstat), df = as_array(ct$df_Satt), pval = as_array(ct$p_Satt)),
    cr1 = list(se = as_array(rb$se), tval = as_array(rb$zval), pval = as_array(rb$pval), ci_lb = as_array(rb$ci.lb),
               ci_ub = as_array(rb$ci.ub), df = as_array(rb$ddf)))
}

# ------------------------------------------------------------------ predict, anova, LRT, fit statistics
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
newx <- c(10, 30, 50)
pred <- list()
for (test in c("z", "knha")) {
  r <- rma(yi, vi, mods = ~ ablat, data = bcg, test = test, control = CTL_UNI)
  p <- predict(r, newmods = newx)
  pt <- predict(r, newmods = newx, transf = exp)
  pred[[length(pred) + 1]] <- list(model = "bcg_ablat", test = test, pred = as_array(p$pred), se = as_array(p$se),
    ci_lb = as_array(p$ci.lb), ci_ub = as_array(p$ci.ub), pi_lb = as_array(p$pi.lb), pi_ub = as_array(p$pi.ub),
    exp_pred = as_array(pt$pred), exp_ci_lb = as_array(pt$ci.lb), exp_pi_ub = as_array(pt$pi.ub))
}
for (test in c("z", "t")) {
  r <- rma_mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = kon, test = test)
  p <- predict(r, newmods = c(-10, 0, 10))
  pred[[length(pred) + 1]] <- list(model = "kon_year", test = test, pred = as_array(p$pred), se = as_array(p$se),
    ci_lb = as_array(p$ci.lb), ci_ub = as_array(p$ci.ub), pi_lb = as_array(p$pi.lb), pi_ub = as_array(p$pi.ub))
}
r0 <- rma(yi, vi, data = bcg, control = CTL_UNI)
p0 <- predict(r0)
pred[[length(pred) + 1]] <- list(model = "bcg_intercept", test = "z", pred = as_array(p0$pred), se = as_array(p0$se),
  ci_lb = as_array(p0$ci.lb), ci_ub = as_array(p0$ci.ub), pi_lb = as_array(p0$pi.lb), pi_ub = as_array(p0$pi.ub))

wald <- list()
for (test in c("z", "knha")) {
  r <- rma(yi, vi, mods = ~ ablat + year, data = bcg, test = test, control = CTL_UNI)
  for (btt in list(2, 2:3)) {
    a <- anova(r, btt = btt)
    wald[[length(wald) + 1]] <- list(model = "bcg_ablat_year", test = test, btt = as_array(btt - 1), QM = a$QM,
                                     QMp = a$QMp, df = if (test == "knha") as_array(c(a$QMdf)) else as_array(a$QMdf[1]))
  }
}
kon$sq <- kon$year_c^2
for (test in c("z", "t")) {
  r <- rma_mv(yi, vi, mods = ~ year_c + sq, random = ~ 1 | district/school, data = kon, test = test)
  a <- anova(r, btt = 2:3)
  wald[[length(wald) + 1]] <- list(model = "kon_year_sq", test = test, btt = as_array(1:2), QM = a$QM, QMp = a$QMp,
                                   df = if (test == "t") as_array(c(a$QMdf)) else as_array(a$QMdf[1]))
}

fitstats_uni <- list()
for (method in c("REML", "ML")) for (mods in c("none", "ablat")) {
  r <- if (mods == "none") rma(yi, vi, data = bcg, method = method, control = CTL_UNI) else
       rma(yi, vi, mods = ~ ablat, data = bcg, method = method, control = CTL_UNI)
  pl <- tryCatch(confint(r, type = "PL", control = list(tol = 1e-12))$random[1, ], error = function(e) c(NA, NA, NA))
  fitstats_uni[[length(fitstats_uni) + 1]] <- list(method = method, mods = mods, tau2 = r$tau2, se_tau2 = r$se.tau2,
    ll = c(logLik(r)), AIC = AIC(r), BIC = BIC(r), AICc = fitstats(r)[5, 1], pl_tau2 = as_array(pl))
}

lrt <- list()
rf <- rma(yi, vi, mods = ~ ablat, data = bcg, method = "ML", control = CTL_UNI)
rr <- rma(yi, vi, data = bcg, method = "ML", control = CTL_UNI)
a <- anova(rf, rr)
lrt[[1]] <- list(model = "bcg_ablat_ML", LRT = a$LRT, pval = a$pval, df = a$parms.f - a$parms.r)
rf <- rma_mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = kon, method = "ML")
rr <- rma_mv(yi, vi, random = ~ 1 | district/school, data = kon, method = "ML")
a <- anova(rf, rr)
lrt[[2]] <- list(model = "kon_year_ML", LRT = a$LRT, pval = a$pval, df = a$parms.f - a$parms.r)
rf <- rma_mv(yi, vi, random = ~ 1 | district/school, data = kon)
rr <- rma_mv(yi, vi, random = ~ 1 | district/school, data = kon, sigma2 = c(NA, 0))
a <- anova(rf, rr)
lrt[[3]] <- list(model = "kon_REML_sigma2_2_zero", LRT = a$LRT, pval = a$pval, df = a$parms.f - a$parms.r)

# user weights (rma(weights = )): sample sizes as weights
wt_grid <- list()
bcg$ni <- dat.bcg$tpos + dat.bcg$tneg + dat.bcg$cpos + dat.bcg$cneg
for (method in c("REML", "DL", "EE")) for (test in c("z", "knha")) for (mods in c("none", "ablat")) {
  r <- if (mods == "none") rma(yi, vi, weights = ni, data = bcg, method = method, test = test, control = CTL_UNI) else
       rma(yi, vi, mods = ~ ablat, weights = ni, data = bcg, method = method, test = test, control = CTL_UNI)
  p <- if (mods == "none") predict(r) else predict(r, newmods = 30)
  wt_grid[[length(wt_grid) + 1]] <- list(method = method, test = test, mods = mods, beta = as_array(r$beta),
    se = as_array(r$se), zval = as_array(r$zval), pval = as_array(r$pval), ci_lb = as_array(r$ci.lb),
    ci_ub = as_array(r$ci.ub), tau2 = r$tau2, QE = r$QE, QEp = r$QEp, I2 = r$I2, H2 = r$H2, QM = r$QM, QMp = r$QMp,
    weights = as_array(weights(r)), pred = p$pred, pred_se = p$se, pi_lb = p$pi.lb, pi_ub = p$pi.ub)
}

write_reference(list(tables = tables, weights = wt_grid, ni = bcg$ni, escalc = escalc_grid, mh = mh_grid, peto = peto_grid,
                     kon = list(yi = kon$yi, vi = kon$vi, district = kon$district, school = kon$school,
                                study = kon$study, year_c = kon$year_c),
                     ber = list(yi = ber$yi, trial = ber$trial, outcome = as.character(ber$outcome), is_al = ber$is_al,
                                V = as_array(c(Vber))),
                     bcg = list(yi = c(bcg$yi), vi = c(bcg$vi), ablat = bcg$ablat, year = bcg$year),
                     Vche = as_array(c(Vche)), mv = mv_grid, che = che, uni = uni, predict = pred,
                     wald = wald, fitstats_uni = fitstats_uni, lrt = lrt),
                "meta_breadth",
                calls = c("rma.mv control: nlminb rel.tol 1e-12, else optim BFGS reltol 1e-14", "escalc(measure, ai, n1i, ci, n2i, add, to)", "rma.mh(measure, ai, n1i, ci, n2i)",
                          "rma.peto(ai, n1i, ci, n2i)", "rma_mv(yi, V, mods, random = ~ 1 | cluster/effect, method, test)",
                          "clubSandwich::coef_test(fit, vcov = 'CR2', test = 'Satterthwaite')", "robust(fit, cluster, adjust = TRUE)",
                          "clubSandwich::impute_covariance_matrix(vi, cluster, r)", "predict(fit, newmods)", "anova(fit, btt)",
                          "anova(full, reduced)", "confint(fit, type = 'PL')"),
                packages = PK)

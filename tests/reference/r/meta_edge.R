# Edge cases of the meta-analysis verbs not covered by meta_rma.R.
# fixed_tau2: rma(yi, vi, tau2 = <fixed>) on dat.bcg (log RR); metafor keeps the user's tau2 in every refit
# of leave1out(), cumul(), influence(), permutest() and regtest().
# Run from tests/reference/r: Rscript meta_edge.R
source("_common.R")
suppressPackageStartupMessages(library(metafor))
dat <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
dat6 <- dat[1:6, ]
out <- list(fixed_tau2 = list())
for (tt in c("z", "knha")) {
  r <- rma(yi, vi, data = dat6, tau2 = 0.2, test = tt)
  l1 <- leave1out(r)
  cu <- cumul(r)
  inf <- influence(r)$inf
  pt <- permutest(r, exact = TRUE)
  rt <- regtest(r)
  out$fixed_tau2[[tt]] <- list(
    yi = as_array(dat6$yi), vi = as_array(dat6$vi), tau2 = 0.2,
    estimate = c(r$beta), se = r$se,
    leave1out = list(estimate = as_array(l1$estimate), se = as_array(l1$se), tau2 = as_array(l1$tau2),
                     i2 = as_array(l1$I2), q = as_array(l1$Q)),
    cumul = list(estimate = as_array(cu$estimate), se = as_array(cu$se), tau2 = as_array(cu$tau2),
                 i2 = as_array(cu$I2)),
    influence = list(rstudent = as_array(inf$rstudent), dffits = as_array(inf$dffits),
                     cook_d = as_array(inf$cook.d), cov_r = as_array(inf$cov.r),
                     tau2_del = as_array(inf$tau2.del)),
    permutest = list(pval = pt$pval[1]),
    regtest = list(zval = rt$zval, pval = rt$pval, est = rt$est))
}
write_reference(out, "meta_edge", calls = c(
  "escalc('RR', ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)[1:6, ]",
  "rma(yi, vi, tau2 = 0.2, test = t); leave1out(), cumul(), influence(), permutest(exact = TRUE), regtest()"
), packages = c("metafor", "metadat"))

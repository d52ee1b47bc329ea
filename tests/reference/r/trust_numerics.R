# Issue 12 (trust at the seams): metafor on the numerically awkward inputs of tests/test_trust_numerics.py.
# 1. influence() where leaving out the only study with g = 1 makes the moderator not estimable (NA row);
# 2. tau2 by PM, EB, ML, REML when every sampling variance is 1e-12 (tau2 must not collapse to ~vi);
# 3. ML, REML, PM at unit scale; the test rescales the data by 1e-6 and expects tau2 * 1e-12 (metafor's own
#    absolute threshold does not give that: rma(y * 1e-6, v * 1e-12, "REML") is 5% off, so it is not stored).
source("_common.R")
suppressPackageStartupMessages(library(metafor))
ctl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)

d <- data.frame(yi = c(0.1, 0.5, 0.9, 0.3, 0.4, 0.2), vi = c(0.01, 0.02, 0.03, 0.02, 0.01, 0.02),
                g = c(0, 0, 0, 0, 0, 1))
r <- rma(yi, vi, mods = ~ g, data = d, method = "REML", control = ctl)
inf <- influence(r)
infl <- list(rstudent = as_array(inf$inf$rstudent), dffits = as_array(inf$inf$dffits),
             cook_d = as_array(inf$inf$cook.d), cov_r = as_array(inf$inf$cov.r),
             tau2_del = as_array(inf$inf$tau2.del), q_del = as_array(inf$inf$QE.del),
             hat = as_array(inf$inf$hat), weight = as_array(inf$inf$weight),
             dfbs_intrcpt = as_array(inf$dfbs$intrcpt), dfbs_g = as_array(inf$dfbs$g),
             influential = as.list(inf$is.infl))

y <- c(0.62, 0.11, 0.35, -0.21, 0.48, 0.05, 0.29, 0.77)
tiny <- list()
for (m in c("PM", "EB", "ML", "REML", "DL")) {
  tiny[[m]] <- suppressWarnings(rma(y, rep(1e-12, 8), method = m, control = ctl))$tau2
}
v <- c(0.04, 0.09, 0.02, 0.12, 0.05, 0.03, 0.08, 0.06)
scaled <- list()
for (m in c("ML", "REML", "PM")) {
  scaled[[m]] <- rma(y, v, method = m, control = ctl)$tau2
}
write_reference(list(data = as.list(d), influence = infl, tiny_y = as_array(y), tiny = tiny, v = as_array(v),
                     scaled = scaled),
                "trust_numerics",
                calls = c("influence(rma(yi, vi, mods = ~ g, method = 'REML'))",
                          "rma(y, rep(1e-12, 8), method = m)$tau2",
                          "rma(y, v, method = m)$tau2"),
                packages = c("metafor"))

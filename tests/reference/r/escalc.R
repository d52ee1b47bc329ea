# Reference values for retrostats.effects / retrostats.kernels.escalc / retrostats.convert.
# metafor escalc() with default vtype over MD, SMD, SMDH, ROM (two groups) and MC, SMCC, SMCR (one group
# measured twice) on published datasets and edge cases; SMD from t, F and exact p (escalc ti=); Morris (2008)
# d_ppc2 as in metafor's worked example; ANCOVA on pseudo-IPD with exact arm moments (lm); t-based conversions.
# Run from tests/reference/r:  Rscript escalc.R
source("_common.R")
suppressPackageStartupMessages({library(metafor); library(MASS)})

two_group_measures <- c("MD", "SMD", "SMDH", "ROM")
one_group_measures <- c("MC", "SMCC", "SMCR")

run_two <- function(d) {
  out <- list(inputs = lapply(d, as_array))
  for (m in two_group_measures) {
    es <- escalc(measure = m, m1i = d$m1, sd1i = d$sd1, n1i = d$n1, m2i = d$m2, sd2i = d$sd2, n2i = d$n2)
    out[[m]] <- list(yi = as_array(es$yi), vi = as_array(es$vi))
  }
  out
}
run_one <- function(d) {
  out <- list(inputs = lapply(d, as_array))
  for (m in one_group_measures) {
    es <- escalc(measure = m, m1i = d$m1, m2i = d$m2, sd1i = d$sd1, sd2i = d$sd2, ni = d$n, ri = d$ri)
    out[[m]] <- list(yi = as_array(es$yi), vi = as_array(es$vi))
  }
  out
}

nd <- dat.normand1999
cu <- dat.curtis1998[1:20, ]
two_group <- list(
  normand1999 = list(m1 = nd$m1i, sd1 = nd$sd1i, n1 = nd$n1i, m2 = nd$m2i, sd2 = nd$sd2i, n2 = nd$n2i),
  curtis1998 = list(m1 = cu$m1i, sd1 = cu$sd1i, n1 = cu$n1i, m2 = cu$m2i, sd2 = cu$sd2i, n2 = cu$n2i),
  # edge cases: n = 2 per arm, equal means, tiny SDs, very unequal arms, large standardized difference
  edge = list(m1 = c(5, 3.2, 10.000001, 7, 50, 1.5),
              sd1 = c(1, 0.8, 1e-06, 2.5, 1, 0.3),
              n1 = c(2, 12, 5, 3, 40, 2),
              m2 = c(4, 3.2, 10, 6, 40, 1.2),
              sd2 = c(1.5, 1.1, 2e-06, 2, 1.2, 0.3),
              n2 = c(2, 15, 6, 250, 40, 3))
)

mT <- data.frame(m_pre = c(30.6, 23.5, 0.5, 53.4, 35.6), m_post = c(38.5, 26.8, 0.7, 75.9, 36.0),
                 sd_pre = c(15.0, 3.1, 0.1, 14.5, 4.7), sd_post = c(11.6, 4.1, 0.1, 4.4, 4.6),
                 ni = c(20, 50, 9, 10, 14), ri = c(.47, .64, .77, .89, .44))
mC <- data.frame(m_pre = c(23.1, 24.9, 0.6, 55.7, 34.8), m_post = c(19.7, 25.3, 0.6, 60.7, 33.4),
                 sd_pre = c(13.8, 4.1, 0.2, 17.3, 3.1), sd_post = c(14.8, 3.3, 0.2, 17.9, 6.9),
                 ni = c(20, 42, 9, 11, 14), ri = c(.47, .64, .77, .89, .44))
one_group <- list(
  morris2008_treatment = list(m1 = mT$m_post, m2 = mT$m_pre, sd1 = mT$sd_post, sd2 = mT$sd_pre, n = mT$ni, ri = mT$ri),
  morris2008_control = list(m1 = mC$m_post, m2 = mC$m_pre, sd1 = mC$sd_post, sd2 = mC$sd_pre, n = mC$ni, ri = mC$ri),
  # edge cases: n = 3 (smallest with a defined correction), equal means, tiny SDs, r near -1 and 1
  edge = list(m1 = c(5, 3.2, 10.000001, 7, 20), m2 = c(4, 3.2, 10, 6, 12),
              sd1 = c(1, 0.8, 1e-06, 2.5, 4), sd2 = c(1.5, 1.1, 2e-06, 2, 4.5),
              n = c(3, 12, 5, 30, 100), ri = c(0.5, 0, 0.3, -0.9, 0.99)),
  # n = 2: metafor's correction is undefined (NA); retrostats raises a DataError for these rows
  n2 = list(m1 = c(5, 6), m2 = c(4, 4), sd1 = c(1, 2), sd2 = c(1.5, 2), n = c(2, 2), ri = c(0.5, 0.2))
)

# SMD from t (escalc ti=), from F with 1 numerator df (t = sign * sqrt(F)) and from an exact p (t test, df n1+n2-2)
st <- list(t = c(2.1, -0.5, 0, 4.2, 1.7), n1 = c(10, 25, 8, 40, 3), n2 = c(12, 22, 8, 41, 4))
es <- escalc(measure = "SMD", ti = st$t, n1i = st$n1, n2i = st$n2)
smd_t <- list(inputs = lapply(st, as_array), yi = as_array(es$yi), vi = as_array(es$vi))
sf <- list(F = c(4.41, 0.25, 9.3), sign = c(1, -1, 1), n1 = c(10, 25, 30), n2 = c(12, 22, 28))
tF <- sf$sign * sqrt(sf$F)
es <- escalc(measure = "SMD", ti = tF, n1i = sf$n1, n2i = sf$n2)
smd_F <- list(inputs = lapply(sf, as_array), t = as_array(tF), yi = as_array(es$yi), vi = as_array(es$vi))
sp <- list(p = c(0.01, 0.008, 0.5, 0.0001, 0.049), sign = c(1, -1, 1, 1, -1), n1 = c(20, 25, 8, 60, 12),
           n2 = c(20, 22, 9, 55, 11))
tp <- sp$sign * qt(sp$p / 2, df = sp$n1 + sp$n2 - 2, lower.tail = FALSE)
es <- escalc(measure = "SMD", ti = tp, n1i = sp$n1, n2i = sp$n2)
smd_p <- list(inputs = lapply(sp, as_array), t = as_array(tp), yi = as_array(es$yi), vi = as_array(es$vi))

# Morris (2008) d_ppc2 as computed in metafor's worked example (analyses:morris2008)
sd_pool <- sqrt(((mT$ni - 1) * mT$sd_pre^2 + (mC$ni - 1) * mC$sd_pre^2) / (mT$ni + mC$ni - 2))
ppc_yi <- metafor:::.cmicalc(mT$ni + mC$ni - 2) * ((mT$m_post - mT$m_pre) - (mC$m_post - mC$m_pre)) / sd_pool
ppc_vi <- 2 * (1 - mT$ri) * (1 / mT$ni + 1 / mC$ni) + ppc_yi^2 / (2 * (mT$ni + mC$ni))
ppc2 <- list(inputs = list(m1_pre = as_array(mT$m_pre), m1_post = as_array(mT$m_post), sd1_pre = as_array(mT$sd_pre),
                           n1 = as_array(mT$ni), m2_pre = as_array(mC$m_pre), m2_post = as_array(mC$m_post),
                           sd2_pre = as_array(mC$sd_pre), n2 = as_array(mC$ni), ri = as_array(mT$ri)),
             yi = as_array(ppc_yi), vi = as_array(ppc_vi))

# ANCOVA on pseudo-IPD: each arm has exactly the published means, SDs and baseline-outcome correlation r
anc_in <- list(m1_pre = c(mT$m_pre, 5.1), m1_post = c(mT$m_post, 3.0), sd1_pre = c(mT$sd_pre, 1.2),
               sd1_post = c(mT$sd_post, 1.6), n1 = c(mT$ni, 16),
               m2_pre = c(mC$m_pre, 5.4), m2_post = c(mC$m_post, 4.1), sd2_pre = c(mC$sd_pre, 1.0),
               sd2_post = c(mC$sd_post, 1.9), n2 = c(mC$ni, 16), ri = c(mT$ri, 0.5))
anc_yi <- anc_vi <- numeric(length(anc_in$n1))
for (i in seq_along(anc_in$n1)) {
  arm <- function(m0, m1, s0, s1, n, r) mvrnorm(n, c(m0, m1), matrix(c(s0^2, r * s0 * s1, r * s0 * s1, s1^2), 2), empirical = TRUE)
  a <- arm(anc_in$m1_pre[i], anc_in$m1_post[i], anc_in$sd1_pre[i], anc_in$sd1_post[i], anc_in$n1[i], anc_in$ri[i])
  b <- arm(anc_in$m2_pre[i], anc_in$m2_post[i], anc_in$sd2_pre[i], anc_in$sd2_post[i], anc_in$n2[i], anc_in$ri[i])
  d <- data.frame(pre = c(a[, 1], b[, 1]), post = c(a[, 2], b[, 2]),
                  grp = factor(rep(c("g1", "g2"), c(nrow(a), nrow(b))), levels = c("g2", "g1")))
  fit <- lm(post ~ grp + pre, data = d)
  anc_yi[i] <- coef(fit)[["grpg1"]]
  anc_vi[i] <- vcov(fit)["grpg1", "grpg1"]
}
ancova <- list(inputs = lapply(anc_in, as_array), yi = as_array(anc_yi), vi = as_array(anc_vi))

# conversions: SD from a CI (t, n-1 df; normal), SE from an exact p (t with df; normal)
ci <- list(ci_low = c(3.0, 10.2, -1.5, 100), ci_high = c(5.0, 14.8, 2.5, 130), n = c(25, 10, 60, 4))
conv_ci <- list(inputs = lapply(ci, as_array),
                sd_t = as_array(sqrt(ci$n) * (ci$ci_high - ci$ci_low) / (2 * qt(0.975, ci$n - 1))),
                sd_t90 = as_array(sqrt(ci$n) * (ci$ci_high - ci$ci_low) / (2 * qt(0.95, ci$n - 1))),
                sd_normal = as_array(sqrt(ci$n) * (ci$ci_high - ci$ci_low) / (2 * qnorm(0.975))))
pv <- list(estimate = c(3.8, -1.2, 0.4, 10), p = c(0.008, 0.03, 0.6, 1e-5), df = c(45, 20, 100, 8))
conv_p <- list(inputs = lapply(pv, as_array),
               se_t = as_array(abs(pv$estimate) / qt(pv$p / 2, pv$df, lower.tail = FALSE)),
               se_normal = as_array(abs(pv$estimate) / qnorm(pv$p / 2, lower.tail = FALSE)))

write_reference(
  list(
    grid = list(two_group_measures = two_group_measures, one_group_measures = one_group_measures,
                two_group_datasets = names(two_group), one_group_datasets = names(one_group)),
    two_group = lapply(two_group, run_two),
    one_group = lapply(one_group, run_one),
    smd_t = smd_t, smd_F = smd_F, smd_p = smd_p, ppc2 = ppc2, ancova = ancova,
    convert_ci = conv_ci, convert_p = conv_p
  ),
  "escalc",
  calls = c("escalc(measure, m1i, sd1i, n1i, m2i, sd2i, n2i) with vtype = 'LS' (default) for MD SMD SMDH ROM",
            "escalc(measure, m1i, m2i, sd1i, sd2i, ni, ri) with vtype = 'LS' for MC SMCC SMCR",
            "escalc('SMD', ti, n1i, n2i); ti = sign * sqrt(F); ti = sign * qt(p/2, n1+n2-2, lower.tail=FALSE)",
            "d_ppc2: .cmicalc(n1+n2-2) * (change1 - change2) / sd_pre_pooled; vi as metafor analyses:morris2008",
            "lm(post ~ grp + pre) on MASS::mvrnorm(empirical = TRUE) pseudo-IPD per arm",
            "sqrt(n) * (hi - lo) / (2 * qt(1 - a/2, n - 1)); abs(est) / qt(p/2, df, lower.tail = FALSE)"),
  packages = c("metafor", "MASS")
)

# MMRM on openpharma/mmrm's fev_data (../data/mmrm_fev_data.csv, written by _mmrm_sas_data.R):
# nlme::gls (REML) + emmeans for estimates, SEs and LS means of FEV1 ~ ARMCD * AVISIT + RACE + SEX with five
# covariance structures; clubSandwich CR0 and CR2 for the empirical (sandwich) SEs of the unstructured fit.
# emmeans' Satterthwaite df are recorded but, for csh/ar1/ar1h with missing visits, they are not a valid
# reference (see README). Run from tests/reference/r: Rscript mmrm_fev.R
source("_common.R")
suppressPackageStartupMessages({library(nlme); library(emmeans); library(clubSandwich)})

dd <- read.csv(file.path("..", "data", "mmrm_fev_data.csv"))
dd <- dd[!is.na(dd$FEV1), ]
dd$AVISIT <- factor(dd$AVISIT, levels = c("VIS1", "VIS2", "VIS3", "VIS4"))
dd$ARMCD <- factor(dd$ARMCD, levels = c("PBO", "TRT"))
dd$RACE <- factor(dd$RACE, levels = c("Asian", "Black or African American", "White"))
dd$SEX <- factor(dd$SEX, levels = c("Male", "Female"))
dd$visitnum <- as.integer(dd$AVISIT)
dd <- dd[order(dd$USUBJID, dd$visitnum), ]
structures <- list(
  us   = list(cor = function() corSymm(form = ~ visitnum | USUBJID), het = TRUE),
  cs   = list(cor = function() corCompSymm(form = ~ 1 | USUBJID), het = FALSE),
  csh  = list(cor = function() corCompSymm(form = ~ 1 | USUBJID), het = TRUE),
  ar1  = list(cor = function() corAR1(form = ~ visitnum | USUBJID), het = FALSE),
  ar1h = list(cor = function() corAR1(form = ~ visitnum | USUBJID), het = TRUE)
)
out <- list(grid = list(covariances = names(structures)))
calls <- c()
for (st in names(structures)) {
  s <- structures[[st]]
  ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500, apVar = TRUE,
                     natural = FALSE)
  fit <- if (s$het) {
    gls(FEV1 ~ ARMCD * AVISIT + RACE + SEX, data = dd, correlation = s$cor(),
        weights = varIdent(form = ~ 1 | AVISIT), method = "REML", control = ctrl)
  } else {
    gls(FEV1 ~ ARMCD * AVISIT + RACE + SEX, data = dd, correlation = s$cor(), method = "REML", control = ctrl)
  }
  emm <- emmeans(fit, ~ ARMCD | AVISIT, mode = "satterthwaite", data = dd)
  m <- as.data.frame(summary(emm))
  cc <- as.data.frame(summary(pairs(emm, reverse = TRUE)))
  res <- list(loglik = as.numeric(logLik(fit)), coef_names = names(coef(fit)), coef = as_array(coef(fit)),
              se = as_array(sqrt(diag(vcov(fit)))),
              means = list(visit = as.character(m$AVISIT), arm = as.character(m$ARMCD), estimate = m$emmean,
                           se = m$SE, df = m$df),
              contrasts = list(visit = as.character(cc$AVISIT), contrast = as.character(cc$contrast),
                               estimate = cc$estimate, se = cc$SE, df = cc$df))
  if (st == "cs") {  # with varIdent weights (us, csh, ar1h) emmeans' proportional weights are not frequencies
    mp <- as.data.frame(summary(emmeans(fit, ~ ARMCD | AVISIT, mode = "satterthwaite", data = dd,
                                        weights = "proportional")))
    res$means_proportional <- list(visit = as.character(mp$AVISIT), arm = as.character(mp$ARMCD),
                                   estimate = mp$emmean, se = mp$SE)
  }
  if (st == "us") {
    res$se_cr0 <- as_array(sqrt(diag(as.matrix(vcovCR(fit, cluster = dd$USUBJID, type = "CR0")))))
    res$se_cr2 <- as_array(sqrt(diag(as.matrix(vcovCR(fit, cluster = dd$USUBJID, type = "CR2")))))
  }
  out[[st]] <- res
  calls <- c(calls, sprintf("%s: gls(FEV1 ~ ARMCD * AVISIT + RACE + SEX, correlation = %s, weights = %s, method = 'REML'); emmeans(fit, ~ ARMCD | AVISIT, mode = 'satterthwaite'); vcovCR(fit, type = 'CR0'/'CR2'); cs: emmeans(..., weights = 'proportional')",
                            st, deparse(s$cor()), if (s$het) "varIdent(~1|AVISIT)" else "NULL"))
}
write_reference(out, "mmrm_fev", calls = calls, packages = c("nlme", "emmeans", "clubSandwich"))

# MMRM references: nlme::gls (REML) with emmeans contrasts at every visit (Satterthwaite df, emmeans' gls mode).
# Inputs: ../data/ipd_{a,b,c}.csv written by data/make_synthetic.py (synthetic trials).
# Run from tests/reference/r: Rscript mmrm.R
source("_common.R")
suppressPackageStartupMessages({library(nlme); library(emmeans)})

structures <- list(
  us   = list(cor = function() corSymm(form = ~ visitnum | participant), het = TRUE),
  cs   = list(cor = function() corCompSymm(form = ~ 1 | participant), het = FALSE),
  csh  = list(cor = function() corCompSymm(form = ~ 1 | participant), het = TRUE),
  ar1  = list(cor = function() corAR1(form = ~ visitnum | participant), het = FALSE),
  ar1h = list(cor = function() corAR1(form = ~ visitnum | participant), het = TRUE)
)
arm_levels <- c("retro", "forward", "control")
out <- list(grid = list(datasets = c("a", "b", "c"), covariances = names(structures)))
calls <- c()
for (ds in c("a", "b", "c")) {
  raw <- read.csv(file.path("..", "data", paste0("ipd_", ds, ".csv")))
  dd <- raw[raw$week > 0 & !is.na(raw$value), ]
  weeks <- sort(unique(dd$week))
  dd$fweek <- factor(dd$week, levels = weeks)
  dd$visitnum <- match(dd$week, weeks)
  dd$arm <- factor(dd$arm, levels = arm_levels[arm_levels %in% unique(dd$arm)])
  dd <- dd[order(dd$participant, dd$visitnum), ]
  for (st in names(structures)) {
    s <- structures[[st]]
    # apVar on the unconstrained scale (natural = FALSE) so that emmeans uses its analytic Satterthwaite
    ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500, apVar = TRUE,
                       natural = FALSE)
    fit <- if (s$het) {
      gls(value ~ fweek + arm + arm:fweek + baseline + baseline:fweek, data = dd, correlation = s$cor(),
          weights = varIdent(form = ~ 1 | fweek), method = "REML", control = ctrl)
    } else {
      gls(value ~ fweek + arm + arm:fweek + baseline + baseline:fweek, data = dd, correlation = s$cor(),
          method = "REML", control = ctrl)
    }
    emm <- emmeans(fit, ~ arm | fweek, mode = "satterthwaite", data = dd)
    m <- as.data.frame(summary(emm, infer = c(TRUE, FALSE)))
    res <- list(loglik = as.numeric(logLik(fit)),
                means = list(visit = as.numeric(as.character(m$fweek)), arm = as.character(m$arm),
                             estimate = m$emmean, se = m$SE, df = m$df, ci_low = m$lower.CL, ci_high = m$upper.CL))
    adjusts <- if (ds == "a" && st == "us") c("none", "tukey", "holm", "bonferroni", "sidak") else "none"
    for (adj in adjusts) {
      cc <- as.data.frame(summary(pairs(emm), infer = c(TRUE, TRUE), adjust = adj))
      res[[paste0("contrasts_", adj)]] <- list(
        visit = as.numeric(as.character(cc$fweek)), contrast = as.character(cc$contrast),
        estimate = cc$estimate, se = cc$SE, df = cc$df, ci_low = cc$lower.CL, ci_high = cc$upper.CL,
        p_value = cc$p.value)
    }
    full <- names(which(table(dd$participant) == length(weeks)))[1]
    res$covariance <- as_array(as.vector(as.matrix(getVarCov(fit, individual = full))))
    out[[paste0(ds, "_", st)]] <- res
    calls <- c(calls, sprintf("%s/%s: gls(value ~ fweek + arm + arm:fweek + baseline + baseline:fweek, correlation = %s, weights = %s, method = 'REML'); emmeans(fit, ~ arm | fweek, mode = 'satterthwaite'); pairs()",
                              ds, st, deparse(s$cor()), if (s$het) "varIdent(~1|fweek)" else "NULL"))
  }
}
write_reference(out, "mmrm", calls = calls, packages = c("nlme", "emmeans"))

# ANCOVA references: lm(value ~ arm + baseline [+ covariates]) with emmeans adjusted means, pairwise contrasts
# (several multiplicity adjustments), eff_size and HC3 (sandwich::vcovHC) standard errors.
# Inputs: the last visit of ../data/ipd_{a,b,c}.csv (synthetic trials written by data/make_synthetic.py).
# Run from tests/reference/r: Rscript ancova.R
source("_common.R")
suppressPackageStartupMessages({library(emmeans); library(sandwich)})

arm_levels <- c("retro", "forward", "control")
cases <- list(
  list(id = "a_plain", ds = "a", cov = character(0)),
  list(id = "b_plain", ds = "b", cov = character(0)),
  list(id = "c_plain", ds = "c", cov = character(0)),
  list(id = "a_cov", ds = "a", cov = c("age", "sex")),
  list(id = "c_cov", ds = "c", cov = c("age"))
)
out <- list(grid = list(cases = sapply(cases, `[[`, "id"),
                        adjusts = c("none", "tukey", "holm", "bonferroni", "sidak")))
calls <- c()
for (cs in cases) {
  raw <- read.csv(file.path("..", "data", paste0("ipd_", cs$ds, ".csv")))
  dd <- raw[raw$week == max(raw$week) & !is.na(raw$value), ]
  dd$arm <- factor(dd$arm, levels = arm_levels[arm_levels %in% unique(dd$arm)])
  if ("sex" %in% cs$cov) dd$sex <- factor(dd$sex)
  f <- as.formula(paste("value ~ arm + baseline", paste(c("", cs$cov), collapse = " + ")))
  if (length(cs$cov) == 0) f <- value ~ arm + baseline
  fit <- lm(f, data = dd)
  res <- list(week = max(raw$week), n = nrow(dd), sigma = sigma(fit), df_resid = df.residual(fit))
  for (vc in c("classical", "HC3")) {
    emm <- if (vc == "HC3") emmeans(fit, ~ arm, vcov. = vcovHC(fit, type = "HC3")) else emmeans(fit, ~ arm)
    m <- as.data.frame(summary(emm, infer = c(TRUE, FALSE)))
    res[[paste0("means_", vc)]] <- list(arm = as.character(m$arm), estimate = m$emmean, se = m$SE, df = m$df,
                                        ci_low = m$lower.CL, ci_high = m$upper.CL)
    for (adj in out$grid$adjusts) {
      cc <- as.data.frame(summary(pairs(emm), infer = c(TRUE, TRUE), adjust = adj))
      res[[paste0("contrasts_", vc, "_", adj)]] <- list(
        contrast = as.character(cc$contrast), estimate = cc$estimate, se = cc$SE, df = cc$df,
        ci_low = cc$lower.CL, ci_high = cc$upper.CL, p_value = cc$p.value)
    }
    if (vc == "classical") {
      es <- as.data.frame(summary(eff_size(emm, sigma = sigma(fit), edf = df.residual(fit))))
      res$eff_size <- list(contrast = as.character(es$contrast), estimate = es$effect.size, se = es$SE,
                           df = es$df, ci_low = es$lower.CL, ci_high = es$upper.CL)
    }
  }
  out[[cs$id]] <- res
  calls <- c(calls, sprintf("%s: lm(%s) on week %g; emmeans(fit, ~ arm [, vcov. = vcovHC(fit, type = 'HC3')]); summary(pairs(emm), infer = TRUE, adjust = ...); eff_size(emm, sigma = sigma(fit), edf = df.residual(fit))",
                            cs$id, deparse(f), max(raw$week)))
}
write_reference(out, "ancova", calls = calls, packages = c("emmeans", "sandwich"))

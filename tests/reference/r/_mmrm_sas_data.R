# Convert openpharma/mmrm's example data (data/fev_data.rda, data/bcva_data.rda; Apache License 2.0, github
# openpharma/mmrm) to CSV for the SAS PROC MIXED parity tests. Not part of `make references` (it needs the
# .rda files of a checkout). Run from tests/reference/r: Rscript _mmrm_sas_data.R <dir with the .rda files>
args <- commandArgs(TRUE)
src <- if (length(args)) args[1] else "."
for (nm in c("fev_data", "bcva_data")) {
  load(file.path(src, paste0(nm, ".rda")))
  d <- get(nm)
  for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]])
  write.csv(d, file.path("..", "data", paste0("mmrm_", nm, ".csv")), row.names = FALSE, na = "")
}

# Shared helper for the reference scripts: write a JSON file with %.17g numbers and a source block.
# Usage (from tests/reference/r): source("_common.R"); write_reference(list(...), "name", calls = c("rma(...)"))
# Numeric vectors of length 1 become JSON numbers, longer ones arrays; NA/NaN become null; Inf stays a string.
suppressPackageStartupMessages(library(jsonlite))

.num17 <- function(x) {
  f <- ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, '"Inf"', '"-Inf"'), sprintf("%.17g", x)))
  if (length(x) == 1 && is.null(attr(x, "as_array"))) structure(f, class = "json")
  else structure(paste0("[", paste(f, collapse = ","), "]"), class = "json")
}

.prep <- function(x) {
  if (is.data.frame(x)) x <- as.list(x)
  if (is.list(x)) return(lapply(x, .prep))
  if (is.numeric(x) && !is.factor(x)) {
    arr <- !is.null(attr(x, "as_array"))
    v <- as.numeric(x)
    if (arr) attr(v, "as_array") <- TRUE
    return(.num17(v))
  }
  if (is.factor(x)) return(as.character(x))
  x
}

# wrap a numeric vector with as_array() so that a length-1 vector is still written as an array
as_array <- function(x) structure(as.numeric(x), as_array = TRUE)

reference_source <- function(calls, packages = c("metafor", "pwr", "nlme", "emmeans")) {
  pk <- lapply(packages, function(p) if (requireNamespace(p, quietly = TRUE)) as.character(packageVersion(p)) else NA)
  names(pk) <- packages
  script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  list(R = R.version.string, packages = pk, calls = as.list(calls), script = if (length(script)) script else "")
}

write_reference <- function(obj, name, calls, packages = c("metafor", "pwr", "nlme", "emmeans")) {
  obj$source <- reference_source(calls, packages)
  path <- file.path("..", "expected", paste0(name, ".json"))
  txt <- toJSON(.prep(obj), auto_unbox = TRUE, json_verbatim = TRUE, na = "null", null = "null", pretty = TRUE)
  writeLines(txt, path)
  cat("wrote", path, "\n")
}

## The plan's cumulative-incidence endpoint (cif_progression) as R computes it, on the 80 synthetic
## patients of tests/reference/analysis/analysis_cases.csv. Status from the PFS and OS columns (the
## paper's PFS censors a death without progression): 1 progression (a PFS event), 2 death without
## progression (PFS censored on the day of death), 0 censored; time = pfs_days. Months = days / 30.4375 (the plan's convention).
## cmprsk::cuminc + timepoints at the plan's landmarks 6, 12, 24 months; CI on the log(-log) scale.
## Run from the repository root:  Rscript tests/reference/survival/models/cif_analysis_r.R
suppressPackageStartupMessages({ library(cmprsk); library(jsonlite) })
d <- read.csv(file.path("tests", "reference", "analysis", "analysis_cases.csv"))
status <- ifelse(d$pfs_event == 1, 1, ifelse(d$os_event == 1 & d$os_days == d$pfs_days, 2, 0))
months <- d$pfs_days / 30.4375
ci <- cuminc(months, status)
tp <- timepoints(ci, c(6, 12, 24))
est <- unname(tp$est["1 1", ]); se <- sqrt(unname(tp$var["1 1", ]))
z <- qnorm(0.975)
out <- list(
  meta = list(R = R.version.string, cmprsk = as.character(packageVersion("cmprsk"))),
  n = length(status), events = sum(status == 1), competing = sum(status == 2),
  landmarks = c(6, 12, 24), cif = est, se = se,
  lower = est^exp(-z * se / (est * log(est))), upper = est^exp(z * se / (est * log(est))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA),
           file.path("tests", "reference", "survival", "models", "cif_analysis_r.json"))

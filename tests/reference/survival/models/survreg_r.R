## Parametric survival regression reference: survreg (weibull, exponential, lognormal,
## loglogistic) coefficients, SEs (vcov, with Log(scale)), log(scale), loglik (model and
## intercept-only) and predicted quantiles with se.fit, on survival::lung (age + sex; data in
## tests/reference/survival/data/lung.csv, status 2 = dead), survival::ovarian and survival::aml
## (by group; data/ovarian.csv, data/aml.csv written by nelson_aalen_rmst_r.R), and intercept-only.
## Run from the repository root:  Rscript tests/reference/survival/models/survreg_r.R
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
out_dir <- file.path("tests", "reference", "survival", "models")
lung <- read.csv(file.path("tests", "reference", "survival", "data", "lung.csv"))
lung$event <- as.integer(lung$status == 2)
ovarian <- read.csv(file.path(out_dir, "data", "ovarian.csv"))
aml <- read.csv(file.path(out_dir, "data", "aml.csv"))
P <- c(0.1, 0.25, 0.5, 0.75, 0.9)
fit_json <- function(formula, data, dist, newdata) {
  f <- survreg(formula, data = data, dist = dist)
  q <- predict(f, newdata = newdata, type = "quantile", p = P, se.fit = TRUE)
  list(names = names(coef(f)), coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))),
       log_scale = log(f$scale), loglik = f$loglik[2], loglik_null = f$loglik[1],
       iterations = f$iter, p = P, q = as.vector(q$fit), q_se = as.vector(q$se.fit))
}
DISTS <- c("weibull", "exponential", "lognormal", "loglogistic")
out <- list(meta = list(R = R.version.string, survival = as.character(packageVersion("survival"))))
for (d in DISTS) {
  out[[d]] <- list(
    lung = fit_json(Surv(time, event) ~ age + sex, lung, d, data.frame(age = 60, sex = 1)),
    lung_null = fit_json(Surv(time, event) ~ 1, lung, d, data.frame(age = 60)),
    ovarian = fit_json(Surv(time, status) ~ factor(group), ovarian, d,
                       data.frame(group = 2)),
    aml = fit_json(Surv(time, status) ~ group, aml, d, data.frame(group = "Nonmaintained")))
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), file.path(out_dir, "survreg_r.json"))

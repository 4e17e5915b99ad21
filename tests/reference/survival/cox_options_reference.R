## Reference numbers for survival 3.5's coxph options (issue 15): counting-process rows, case
## weights, robust and cluster-robust variance, ties = "exact", timefix, outliers and monotone
## likelihood, and survfit on (start, stop] rows with case weights.
## Writes data/<name>.csv and cox_options_reference.json into the current directory.
## Run from tests/reference/survival/:  Rscript cox_options_reference.R
## Needs: r-base-core, r-cran-survival, r-cran-jsonlite (Debian packages).
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
dir.create("data", showWarnings = FALSE)
wcsv <- function(df, name) write.csv(df, file.path("data", name), row.names = FALSE, na = "NA")

## bladder2: recurrences of bladder cancer, (start, stop] rows per patient (id)
b2 <- survival::bladder2[, c("id", "rx", "number", "size", "start", "stop", "event", "enum")]
wcsv(b2, "bladder2.csv")

## synthetic edge sets (R's RNG; the CSVs keep every digit)
set.seed(20261203)
n <- 120
edge_outlier <- data.frame(time = ceiling(rexp(n, 1 / 10)), status = rbinom(n, 1, 0.8),
                           x = rnorm(n))
edge_outlier$time[1:2] <- 0.5; edge_outlier$status[1:2] <- 1; edge_outlier$x[1:2] <- c(40, 45)
wcsv(edge_outlier, "edge_outlier.csv")
edge_monotone <- data.frame(time = 1:40, status = 1, x = c(rep(1, 12), rep(0, 28)),
                            z = round(sin(1:40), 6))
wcsv(edge_monotone, "edge_monotone.csv")
base <- sample(1:15, n, replace = TRUE)
edge_neartie <- data.frame(time = ifelse(runif(n) < 0.5, base * (1 + 2e-16), base),
                           status = rbinom(n, 1, 0.7), arm = sample(0:1, n, TRUE), x = rnorm(n))
write.csv(format(edge_neartie, digits = 17), file.path("data", "edge_neartie.csv"),
          row.names = FALSE, quote = FALSE)
edge_weights <- data.frame(time = ceiling(rexp(n, 1 / 20)), status = rbinom(n, 1, 0.7),
                           x = round(rnorm(n), 4), arm = sample(c("A", "B"), n, TRUE),
                           w = round(runif(n, 0.5, 3), 3), iw = sample(1:3, n, TRUE),
                           site = sample(1:15, n, TRUE))
wcsv(edge_weights, "edge_weights.csv")

cx <- function(f, extra = list()) {
  s <- summary(f)
  c(list(coef = unname(coef(f)), var = unname(f$var), loglik = f$loglik, iter = f$iter,
         score = f$score, wald = unname(f$wald.test), concordance = unname(f$concordance["concordance"]),
         terms = names(coef(f)), naive_var = if (is.null(f$naive.var)) NULL else unname(f$naive.var),
         rscore = f$rscore), extra)
}
quiet <- function(expr) withCallingHandlers(expr, warning = function(w) invokeRestart("muffleWarning"))
out <- list()
for (ties in c("efron", "breslow")) {
  out[[paste0("bladder2_cluster_", ties)]] <- cx(coxph(Surv(start, stop, event) ~ rx + number + size,
    data = b2, cluster = id, ties = ties))
  out[[paste0("edge_weights_frac_", ties)]] <- cx(coxph(Surv(time, status) ~ x + arm,
    data = edge_weights, weights = w, ties = ties))
  out[[paste0("edge_weights_int_cluster_", ties)]] <- cx(coxph(Surv(time, status) ~ x + arm,
    data = edge_weights, weights = iw, cluster = site, ties = ties))
  out[[paste0("edge_outlier_", ties)]] <- cx(coxph(Surv(time, status) ~ x, data = edge_outlier, ties = ties))
  out[[paste0("edge_monotone_", ties)]] <- cx(quiet(coxph(Surv(time, status) ~ x + z,
    data = edge_monotone, ties = ties)))
  out[[paste0("edge_neartie_", ties)]] <- cx(coxph(Surv(time, status) ~ x + arm,
    data = edge_neartie, ties = ties))
  out[[paste0("edge_neartie_notimefix_", ties)]] <- cx(coxph(Surv(time, status) ~ x + arm,
    data = edge_neartie, ties = ties, control = coxph.control(timefix = FALSE)))
}
out[["edge_weights_robust_efron"]] <- cx(coxph(Surv(time, status) ~ x + arm, data = edge_weights,
  robust = TRUE))
out[["edge_neartie_exact"]] <- cx(coxph(Surv(time, status) ~ x + arm, data = edge_neartie,
  ties = "exact"))
km <- survfit(Surv(start, stop, event) ~ rx, data = b2)
kmw <- survfit(Surv(time, status) ~ arm, data = edge_weights, weights = iw)
kms <- function(f) list(time = f$time, n_risk = f$n.risk, n_event = f$n.event, surv = f$surv,
  std_err = f$std.err, lower = f$lower, upper = f$upper, strata = unname(f$strata))
out[["km_bladder2_counting"]] <- kms(km)
out[["km_edge_weights_int"]] <- kms(kmw)
out[["versions"]] <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor", null = "null", na = "null"),
           "cox_options_reference.json")

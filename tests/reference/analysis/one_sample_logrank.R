# One-sample log-rank reference: R survival's survdiff with an offset (the expected survival
# probability of each subject under the null curve), on R's own datasets and seeded random sets.
# Run: Rscript one_sample_logrank.R > one_sample_logrank_r.json
suppressMessages({library(survival); library(jsonlite)})
s0 <- function(t, m0, k) exp(-log(2) * (t / m0)^k)
one <- function(name, time, status, m0, k) {
  fit <- survdiff(Surv(time, status) ~ offset(s0(time, m0, k)))
  list(name = name, time = time, status = status, null_median = m0, null_shape = k,
       observed = unname(fit$obs), expected = unname(fit$exp), chisq = unname(fit$chisq))
}
out <- list()
v <- veteran
out[[length(out) + 1]] <- one("veteran m0=80 k=1", v$time, v$status, 80, 1)
out[[length(out) + 1]] <- one("veteran m0=120 k=1.5", v$time, v$status, 120, 1.5)
l <- lung
out[[length(out) + 1]] <- one("lung m0=300 k=1", l$time, l$status - 1, 300, 1)
out[[length(out) + 1]] <- one("lung m0=400 k=0.7", l$time, l$status - 1, 400, 0.7)
set.seed(20240514)
for (i in 1:20) {
  n <- sample(5:80, 1)
  time <- round(rexp(n, 1 / runif(1, 3, 30)), 2) + 0.01
  status <- rbinom(n, 1, runif(1, 0.3, 0.95))
  m0 <- round(runif(1, 2, 30), 2); k <- round(runif(1, 0.5, 2.5), 2)
  out[[length(out) + 1]] <- one(paste("random", i), time, status, m0, k)
}
cat(toJSON(list(
  meta = list(r = R.version.string, survival = as.character(packageVersion("survival")),
              method = "survdiff(Surv(time, status) ~ offset(S0(time))), S0 = exp(-log(2) (t/m0)^k)"),
  cases = out), digits = NA, auto_unbox = TRUE, pretty = FALSE))

# Reference values for tests/analysis/test_analyse_against_r.py: the seed plan's computations done
# by R survival on analysis_cases.csv (made by make_analysis_cases.py).
# Run: Rscript analyse_r.R > analyse_r.json
suppressMessages({library(survival); library(jsonlite)})
d <- read.csv("analysis_cases.csv", stringsAsFactors = FALSE)
dpm <- 30.4375
d$pfs_m <- d$pfs_days / dpm
d$os_m <- d$os_days / dpm
at <- function(time, event, marks, type) {
  s <- summary(survfit(Surv(time, event) ~ 1, conf.type = type), times = marks, extend = TRUE)
  list(time = marks, surv = s$surv, lower = s$lower, upper = s$upper, std_err_log = s$std.err / s$surv)
}
med <- function(time, event) {
  q <- quantile(survfit(Surv(time, event) ~ 1, conf.type = "log"), 0.5)
  list(estimate = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper))
}
landmark <- function(time, event, t0, p0) {
  s <- summary(survfit(Surv(time, event) ~ 1), times = t0)
  g <- log(-log(s$surv)); se_g <- (s$std.err / s$surv) / abs(log(s$surv))
  z <- (log(-log(p0)) - g) / se_g
  list(surv = s$surv, z = z, p_greater = 1 - pnorm(z))
}
sub <- function(time, event, x) {
  lr <- survdiff(Surv(time, event) ~ x)
  fit <- coxph(Surv(time, event) ~ x, ties = "efron")
  ci <- exp(confint(fit))
  list(chisq = unname(lr$chisq), p = unname(1 - pchisq(lr$chisq, 1)),
       hr = unname(exp(coef(fit))), lower = unname(ci[1]), upper = unname(ci[2]))
}
cc <- d[!is.na(d$afp_ng_ml), ]
mv <- function(time, event) {
  fit <- coxph(Surv(time, event) ~ I(child_pugh_class == "B") + I(afp_ng_ml > 100) +
                 I(portal_vein_invasion == "true") + I(extrahepatic_spread == "true") +
                 I(largest_tumour_cm > 5), data = cc, ties = "efron")
  ci <- exp(confint(fit))
  list(n = fit$n, events = fit$nevent, hr = unname(exp(coef(fit))), lower = unname(ci[, 1]),
       upper = unname(ci[, 2]), p = unname(summary(fit)$coefficients[, 5]))
}
lvl90 <- function() {
  s <- summary(survfit(Surv(d$pfs_m, d$pfs_event) ~ 1, conf.type = "log-log", conf.int = 0.9),
               times = c(6, 12, 24))
  fit <- coxph(Surv(os_m, os_event) ~ I(bclc == "C"), data = d, ties = "efron")
  ci <- exp(confint(fit, level = 0.9))
  orr <- sum(d$best_response %in% c("CR", "PR"))
  list(pfs_lower = s$lower, pfs_upper = s$upper, os_bclc_lower = unname(ci[1]),
       os_bclc_upper = unname(ci[2]),
       orr_ci = binom.test(orr, nrow(d), conf.level = 0.9)$conf.int[1:2])
}
rev_km <- quantile(survfit(Surv(d$os_m, 1 - d$os_event) ~ 1), 0.5)
pp <- d[d$n_cycles >= 2 & d$major_deviations == 0 & d$best_response != "NE", ]
orr <- sum(d$best_response %in% c("CR", "PR")); dcr <- sum(d$best_response %in% c("CR", "PR", "SD"))
cat(toJSON(list(
  meta = list(r = R.version.string, survival = as.character(packageVersion("survival"))),
  n = nrow(d),
  pfs_paper = list(rates = at(d$pfs_m, d$pfs_event, c(6, 12, 24), "log-log"),
                   median_r = med(d$pfs_m, d$pfs_event),
                   landmark12 = landmark(d$pfs_m, d$pfs_event, 12, 0.3),
                   bclc = sub(d$pfs_m, d$pfs_event, d$bclc == "C"),
                   cox = mv(cc$pfs_days / dpm, cc$pfs_event)),
  os = list(rates = at(d$os_m, d$os_event, c(12, 24, 60), "log-log"),
            median_r = med(d$os_m, d$os_event),
            bclc = sub(d$os_m, d$os_event, d$bclc == "C"),
            cox = mv(cc$os_days / dpm, cc$os_event),
            reverse_km = list(estimate = unname(rev_km$quantile), lower = unname(rev_km$lower),
                              upper = unname(rev_km$upper)),
            simple_median = median(d$os_m)),
  per_protocol = list(n = nrow(pp), pfs12 = at(pp$pfs_m, pp$pfs_event, 12, "log-log")),
  orr = list(count = orr, ci = binom.test(orr, nrow(d))$conf.int[1:2]),
  dcr = list(count = dcr, ci = binom.test(dcr, nrow(d))$conf.int[1:2]),
  level90 = lvl90()
), digits = NA, auto_unbox = TRUE))

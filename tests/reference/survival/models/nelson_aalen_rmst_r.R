## Nelson-Aalen (survfit ctype = 1: cumhaz, std.chaz) and RMST (print(survfit, rmean = tau): rmean
## and se(rmean)) per group, with the RMST difference and ratio of each group against the first
## level as survRM2::rmst2 defines them, written out here from R's per-group values:
##   difference = rmst_g - rmst_ref, SE = sqrt(se_g^2 + se_ref^2), Wald CI and two-sided p;
##   ratio = rmst_g / rmst_ref, SE(log ratio) = sqrt(se_g^2/rmst_g^2 + se_ref^2/rmst_ref^2),
##   CI exp(log ratio -/+ z SE), p from z = log ratio / SE.
## Data: survival::aml (x), survival::ovarian (rx), survival::colon death records (rx, 3 groups).
## Run from the repository root:  Rscript tests/reference/survival/models/nelson_aalen_rmst_r.R
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
out_dir <- file.path("tests", "reference", "survival", "models")
dir.create(file.path(out_dir, "data"), recursive = TRUE, showWarnings = FALSE)
sets <- list(
  aml = data.frame(time = aml$time, status = aml$status, group = as.character(aml$x)),
  ovarian = data.frame(time = ovarian$futime, status = ovarian$fustat, group = ovarian$rx),
  colon = with(colon[colon$etype == 2, ], data.frame(time = time, status = status,
                                                     group = as.character(rx))))
TAUS <- list(aml = c(20, 40, 161), ovarian = c(365, 730, 1000), colon = c(365, 1825, 3000))
z <- qnorm(0.975)
out <- list(meta = list(R = R.version.string, survival = as.character(packageVersion("survival"))))
for (nm in names(sets)) {
  d <- sets[[nm]]
  write.csv(d, file.path(out_dir, "data", paste0(nm, ".csv")), row.names = FALSE)
  f <- survfit(Surv(time, status) ~ group, data = d, ctype = 1)
  na <- list(strata = rep(names(f$strata), f$strata), time = f$time, n_risk = f$n.risk,
             n_event = f$n.event, cumhaz = f$cumhaz, std_chaz = f$std.chaz)
  f2 <- survfit(Surv(time, status) ~ group, data = d, ctype = 1, stype = 2)
  na$lower_h <- -log(f2$upper); na$upper_h <- -log(f2$lower)
  rm <- list()
  for (tau in TAUS[[nm]]) {
    tab <- summary(f, rmean = tau)$table
    est <- unname(tab[, "rmean"]); se <- unname(tab[, "se(rmean)"])
    diff <- est[-1] - est[1]; dse <- sqrt(se[-1]^2 + se[1]^2)
    lr <- log(est[-1] / est[1]); lse <- sqrt(se[-1]^2 / est[-1]^2 + se[1]^2 / est[1]^2)
    rm[[length(rm) + 1]] <- list(tau = tau, groups = rownames(tab), rmean = est, se = se,
      diff = diff, diff_se = dse, diff_lower = diff - z * dse, diff_upper = diff + z * dse,
      diff_p = 2 * pnorm(-abs(diff / dse)), ratio = exp(lr), ratio_lower = exp(lr - z * lse),
      ratio_upper = exp(lr + z * lse), ratio_p = 2 * pnorm(-abs(lr / lse)))
  }
  out[[nm]] <- list(nelson_aalen = na, rmst = rm)
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA),
           file.path(out_dir, "nelson_aalen_rmst_r.json"))

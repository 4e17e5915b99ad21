## Competing-risks reference numbers: cmprsk::cuminc (estimate, Gray's variance, Gray's test),
## cmprsk::timepoints, survival's multi-state survfit (Aalen-Johansen estimate) and cmprsk::crr
## (Fine-Gray), on R's survival::mgus2 and survival::pbc.
## Run from the repository root:  Rscript tests/reference/survival/models/competing_risks_r.R
## Writes tests/reference/survival/models/data/{mgus2_cr,pbc_cr}.csv and competing_risks_r.json.
## Needs: r-base-core, r-cran-survival, r-cran-cmprsk, r-cran-jsonlite (Debian packages).
suppressPackageStartupMessages({ library(survival); library(cmprsk); library(jsonlite) })
out_dir <- file.path("tests", "reference", "survival", "models")
dir.create(file.path(out_dir, "data"), recursive = TRUE, showWarnings = FALSE)

## mgus2: progression to plasma-cell malignancy (1) with death (2) competing, as the survival
## package's competing-risks vignette codes it.
m <- survival::mgus2
mg <- data.frame(etime = ifelse(m$pstat == 0, m$futime, m$ptime),
                 event = ifelse(m$pstat == 0, 2 * m$death, 1),
                 sex = as.character(m$sex), age = m$age, hgb = m$hgb, mspike = m$mspike)
## pbc: 0 censored, 1 transplant, 2 death; trt NA for the 106 patients not randomised.
p <- survival::pbc
pb <- data.frame(time = p$time, status = p$status, trt = p$trt, age = p$age,
                 logbili = log(p$bili), edema = p$edema, sex = as.character(p$sex))
write.csv(mg, file.path(out_dir, "data", "mgus2_cr.csv"), row.names = FALSE, na = "NA")
write.csv(pb, file.path(out_dir, "data", "pbc_cr.csv"), row.names = FALSE, na = "NA")

AT <- c(0, 12, 60, 120, 240, 365, 1000, 2000, 4000, 1e5)

cuminc_json <- function(time, status, group) {
  ok <- !is.na(time) & !is.na(status) & !is.na(group)
  time <- time[ok]; status <- status[ok]; group <- group[ok]
  ci <- cuminc(time, status, group)
  tp <- timepoints(ci, AT)
  curves <- list()
  for (nm in setdiff(names(ci), "Tests")) {
    x <- ci[[nm]]
    ## keep the jump points only: cuminc lists each jump time twice (before, after)
    j <- which(diff(x$time) == 0 & diff(x$est) > 0) + 1
    curves[[nm]] <- list(time = x$time[j], est = x$est[j], var = x$var[j],
                         at_est = unname(tp$est[nm, ]), at_var = unname(tp$var[nm, ]))
  }
  tests <- ci$Tests
  ## survfit multi-state: the Aalen-Johansen estimate of each state, all times
  sf <- survfit(Surv(time, factor(status)) ~ group)
  ms <- list(strata = rep(names(sf$strata), sf$strata), time = sf$time,
             pstate = unname(sf$pstate), states = sf$states)
  rho1 <- cuminc(time, status, group, rho = 1)$Tests
  list(curves = curves, at = AT,
       tests = list(cause = rownames(tests), stat = unname(tests[, "stat"]),
                    pv = unname(tests[, "pv"]), df = unname(tests[, "df"]),
                    stat_rho1 = unname(rho1[, "stat"])),
       survfit = ms)
}

crr_json <- function(time, status, cov, failcode) {
  ok <- complete.cases(cbind(time, status, cov))
  f <- crr(time[ok], status[ok], cov[ok, , drop = FALSE], failcode = failcode)
  s <- summary(f)
  list(names = names(f$coef), coef = unname(f$coef), se = unname(sqrt(diag(f$var))),
       z = unname(s$coef[, "z"]), p = unname(2 * pnorm(-abs(s$coef[, "z"]))),
       lower = unname(s$conf.int[, "2.5%"]), upper = unname(s$conf.int[, "97.5%"]),
       loglik = f$loglik, loglik_null = f$loglik.null, converged = f$converged,
       n = f$n, n_missing = sum(!ok))
}

mg_cov <- cbind(age = mg$age, sexM = as.numeric(mg$sex == "M"), hgb = mg$hgb)
pb_cov <- cbind(age = pb$age, logbili = pb$logbili, edema = pb$edema)
out <- list(
  meta = list(R = R.version.string, survival = as.character(packageVersion("survival")),
              cmprsk = as.character(packageVersion("cmprsk"))),
  mgus2 = list(cuminc_sex = cuminc_json(mg$etime, mg$event, mg$sex),
               crr_cause1 = crr_json(mg$etime, mg$event, mg_cov, 1),
               crr_cause2 = crr_json(mg$etime, mg$event, mg_cov, 2)),
  pbc = list(cuminc_trt = cuminc_json(pb$time, pb$status, pb$trt),
             crr_cause2 = crr_json(pb$time, pb$status, pb_cov, 2),
             crr_cause1 = crr_json(pb$time, pb$status, pb_cov, 1))
)
## An edge set: events and censorings at time 0, ties between causes (crr reads the censoring
## KM at 0 as G(0), after the censorings at 0).
edge <- data.frame(time = c(0, 0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 0, 3, 6),
                   status = c(0, 1, 2, 1, 0, 2, 1, 1, 2, 0, 1, 0, 1, 2, 1, 0, 1, 1),
                   x = c(0.5, 1, -1, 0.2, 0.3, 1.5, -0.7, 0.1, 0.9, -0.2, 0.4, 1.1, -1.3, 0.6, 0,
                         0.8, -0.5, 0.3))
out$edge_time0 <- list(data = edge,
                       crr_cause1 = crr_json(edge$time, edge$status, cbind(x = edge$x), 1),
                       crr_cause2 = crr_json(edge$time, edge$status, cbind(x = edge$x), 2))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"),
           file.path(out_dir, "competing_risks_r.json"))

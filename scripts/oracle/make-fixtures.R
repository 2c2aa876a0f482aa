# Expected estimates, intervals and p-values from R for the datasets in test/fixtures/*.csv,
# written as test/fixtures/r-oracle.json. vtrial's tests compare to these at 1e-6 (relative).
#
# Uses only base R (stats) and the survival package. Run via scripts/oracle/run.sh.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "test/fixtures"

# --- a tiny JSON writer (no jsonlite dependency): numbers at 17 significant digits ---
num <- function(x) ifelse(is.na(x) | !is.finite(x), "null", sprintf("%.17g", x))
json <- function(x) {
  if (is.list(x)) {
    if (!is.null(names(x))) {
      return(paste0("{", paste0('"', names(x), '": ', vapply(x, json, ""), collapse = ", "), "}"))
    }
    return(paste0("[", paste(vapply(x, json, ""), collapse = ", "), "]"))
  }
  if (is.character(x)) return(if (length(x) == 1) paste0('"', x, '"') else paste0("[", paste0('"', x, '"', collapse = ", "), "]"))
  if (is.logical(x)) x <- as.numeric(x)
  if (length(x) == 1) return(num(x))
  paste0("[", paste(num(x), collapse = ", "), "]")
}
vec <- function(x) as.list(as.numeric(x)) # force a JSON array even for length 1

res <- list()
res$generated_by <- paste("scripts/oracle/make-fixtures.R with", R.version.string, "and survival", as.character(packageVersion("survival")))

# --- continuous ---
d <- read.csv(file.path(dir, "continuous.csv"))
tt <- function(x, y, var.equal) {
  r <- t.test(x, y, var.equal = var.equal)
  list(estimate = unname(r$estimate[1] - r$estimate[2]), ci = vec(r$conf.int), p = r$p.value,
       df = unname(r$parameter), statistic = unname(r$statistic), se = unname(r$stderr))
}
res$welch_y <- tt(d$y[d$arm == 1], d$y[d$arm == 0], FALSE)
res$pooled_y <- tt(d$y[d$arm == 1], d$y[d$arm == 0], TRUE)
res$welch_change <- tt(d$change[d$arm == 1], d$change[d$arm == 0], FALSE)
r90 <- t.test(d$change[d$arm == 1], d$change[d$arm == 0], conf.level = 0.9)
res$welch_change_90 <- list(ci = vec(r90$conf.int))
lmfit <- function(f) {
  m <- lm(f, data = d)
  s <- summary(m)$coefficients
  list(estimate = s["arm", 1], se = s["arm", 2], statistic = s["arm", 3], p = s["arm", 4],
       df = m$df.residual, ci = vec(confint(m)["arm", ]), sigma = summary(m)$sigma,
       coefficients = vec(coef(m)))
}
res$ancova_base <- lmfit(y ~ arm + base)
res$ancova_change_base <- lmfit(change ~ arm + base)
res$ancova_covariates <- lmfit(change ~ arm + base + age + sex)
# treatment-by-age-band interaction: Wald chi-square on the two interaction terms
d$band <- factor(ifelse(d$age < 45, 0, ifelse(d$age < 65, 1, 2)))
mi <- lm(change ~ arm * band, data = d)
b <- coef(mi)[c("arm:band1", "arm:band2")]
V <- vcov(mi)[c("arm:band1", "arm:band2"), c("arm:band1", "arm:band2")]
w <- as.numeric(t(b) %*% solve(V) %*% b)
res$interaction_ageband <- list(statistic = w, df = 2, p = pchisq(w, 2, lower.tail = FALSE))
res$quantile_type7 <- list(x = vec(d$y[1:13]), p = vec(c(0.05, 0.25, 0.5, 0.75, 0.95)),
                           q = vec(quantile(d$y[1:13], c(0.05, 0.25, 0.5, 0.75, 0.95), type = 7)))

# --- binary ---
bin <- read.csv(file.path(dir, "binary.csv"))
res$binary <- lapply(split(bin, factor(bin$set, levels = unique(bin$set))), function(s) {
  e1 <- sum(s$y[s$arm == 1]); n1 <- sum(s$arm == 1); e0 <- sum(s$y[s$arm == 0]); n0 <- sum(s$arm == 0)
  pt <- suppressWarnings(prop.test(c(e1, e0), c(n1, n0), correct = FALSE))
  w1 <- suppressWarnings(prop.test(e1, n1, correct = FALSE))$conf.int
  w0 <- suppressWarnings(prop.test(e0, n0, correct = FALSE))$conf.int
  p1 <- e1 / n1; p0 <- e0 / n0
  # Newcombe (1998) method 10 from R's own Wilson intervals
  newcombe <- c(p1 - p0 - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2), p1 - p0 + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2))
  s$treat <- s$arm
  tight <- glm.control(epsilon = 1e-14, maxit = 100) # converge fully so the fixture is exact to ~1e-12
  lg <- glm(y ~ treat, family = binomial, data = s, control = tight)
  lb <- glm(y ~ treat, family = binomial(link = "log"), data = s, start = c(log(p0), log(p1 / p0)), control = tight)
  co <- function(m) {
    k <- summary(m)$coefficients
    list(estimate = exp(k["treat", 1]), se = k["treat", 2], p = k["treat", 4], ci = vec(exp(confint.default(m)["treat", ])))
  }
  list(e1 = e1, n1 = n1, e0 = e0, n0 = n0,
       rd = list(estimate = p1 - p0, wald_ci = vec(pt$conf.int), p = pt$p.value, statistic = unname(pt$statistic), newcombe_ci = vec(newcombe)),
       wilson1 = vec(w1), wilson0 = vec(w0), or = co(lg), rr = co(lb))
})

# --- survival ---
sv <- read.csv(file.path(dir, "survival.csv"))
cx <- function(ties) {
  m <- coxph(Surv(time, event) ~ arm, data = sv, ties = ties)
  s <- summary(m)
  list(coef = unname(coef(m)), hr = unname(exp(coef(m))), se = unname(sqrt(diag(vcov(m)))),
       ci = vec(s$conf.int[1, c("lower .95", "upper .95")]), p = unname(s$coefficients[1, "Pr(>|z|)"]),
       z = unname(s$coefficients[1, "z"]), loglik = vec(m$loglik))
}
res$cox_efron <- cx("efron")
res$cox_breslow <- cx("breslow")
# two covariates (arm and a deterministic covariate) to test the multivariable Newton step
sv$x2 <- (seq_len(nrow(sv)) %% 5) - 2
m2 <- coxph(Surv(time, event) ~ arm + x2, data = sv)
res$cox_two <- list(coef = vec(coef(m2)), se = vec(sqrt(diag(vcov(m2)))), loglik = vec(m2$loglik))
sd <- survdiff(Surv(time, event) ~ arm, data = sv)
res$logrank <- list(chisq = sd$chisq, p = pchisq(sd$chisq, 1, lower.tail = FALSE),
                    observed = vec(sd$obs), expected = vec(sd$exp)) # order: arm=0, arm=1
km <- function(a) {
  f <- survfit(Surv(time, event) ~ 1, data = sv[sv$arm == a, ])
  list(time = vec(f$time), n_risk = vec(f$n.risk), n_event = vec(f$n.event), surv = vec(f$surv),
       std_err = vec(f$std.err), lower = vec(f$lower), upper = vec(f$upper))
}
res$km_arm1 <- km(1)
res$km_arm0 <- km(0)

writeLines(json(res), file.path(dir, "r-oracle.json"))
cat("wrote", file.path(dir, "r-oracle.json"), "\n")

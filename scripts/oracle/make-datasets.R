# Fixed datasets for the R-oracle tests (test/fixtures/*.csv).
#
# Run once (via scripts/oracle/run.sh --datasets); the CSVs are committed. Values are rounded
# before writing so R and vtrial read exactly the same numbers. Deterministic: set.seed with
# R's default generators (Mersenne-Twister, Inversion, Rejection; R >= 3.6).
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "test/fixtures"
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20240601)

# continuous: two arms, unequal sizes and variances, baseline, age, sex
n1 <- 64; n0 <- 71
arm <- c(rep(1L, n1), rep(0L, n0))
base <- round(rnorm(n1 + n0, 142, 11), 1)
age <- round(runif(n1 + n0, 30, 75))
sex <- rbinom(n1 + n0, 1, 0.45)
y <- round(0.7 * base + 42 - 6.5 * arm + 0.08 * (age - 50) + 1.5 * sex + rnorm(n1 + n0, 0, ifelse(arm == 1, 9, 6)), 1)
continuous <- data.frame(id = seq_along(arm), arm = arm, base = base, y = y, change = round(y - base, 1), age = age, sex = sex)
write.csv(continuous, file.path(out, "continuous.csv"), row.names = FALSE, quote = FALSE)

# binary: three 2x2 tables of different sizes, as participant rows
mk <- function(set, e1, n1, e0, n0) data.frame(set = set, arm = c(rep(1L, n1), rep(0L, n0)),
  y = c(rep(1L, e1), rep(0L, n1 - e1), rep(1L, e0), rep(0L, n0 - e0)))
binary <- rbind(mk("large", 58, 150, 37, 148), mk("small", 3, 15, 9, 17), mk("moderate", 41, 80, 40, 82))
write.csv(binary, file.path(out, "binary.csv"), row.names = FALSE, quote = FALSE)

# survival: exponential times rounded to whole days (ties), administrative censoring at day 180
# and random censoring; hazard ratio about 0.65
ns <- 90
arm_s <- c(rep(1L, ns), rep(0L, ns))
rate <- 1 / 200 * ifelse(arm_s == 1, 0.65, 1)
t_event <- rexp(2 * ns, rate)
t_cens <- pmin(180, runif(2 * ns, 60, 400))
time <- pmax(1, ceiling(pmin(t_event, t_cens) / 7) * 7)
event <- as.integer(t_event <= t_cens)
survival <- data.frame(arm = arm_s, time = time, event = event)
write.csv(survival, file.path(out, "survival.csv"), row.names = FALSE, quote = FALSE)

# procova-sample: a SYNTHETIC participant-level dataset shaped like a real two-arm trial of the
# example trials/dash-sodium.yaml (arms usual/dash, endpoint sbp_change_12w = change in SBP at
# 12 weeks), for trying `vtrial analyze --prognostic`. Not real participants: drawn here from a
# simple linear model (SBP change regresses towards the mean, falls with the DASH diet and more
# in older participants and those with higher BMI).
np <- 240
age_p <- round(runif(np, 25, 74))
sex_p <- ifelse(rbinom(np, 1, 0.5) == 1, "F", "M")
bmi_p <- round(rnorm(np, 28.5, 4), 1)
sbp_p <- round(pmin(159, pmax(120, rnorm(np, 135 + 0.2 * (age_p - 50), 9))))
dbp_p <- round(pmin(95, pmax(80, rnorm(np, 85, 4))))
weight_p <- round(bmi_p * ifelse(sex_p == "F", 1.65, 1.77)^2, 1)
arm_p <- ifelse(seq_len(np) %% 2 == 0, "dash", "usual")
chg <- -0.3 * (sbp_p - 135) + 0.1 * (age_p - 50) + 0.3 * (bmi_p - 28.5) +
  ifelse(arm_p == "dash", -5.5 - 0.08 * (age_p - 50), 0) + rnorm(np, 0, 7)
procova <- data.frame(id = sprintf("P%03d", seq_len(np)), arm = arm_p, age = age_p, sex = sex_p, bmi = bmi_p,
                      body_weight = weight_p, sbp = sbp_p, dbp = dbp_p, sbp_change_12w = round(chg, 1))
write.csv(procova, file.path(out, "procova-sample.csv"), row.names = FALSE, quote = FALSE)

# Reproduces rates_exact_byar.csv (rates per 100,000: exact Poisson, Byar, PHE's choice), base R.
# Run from this folder: Rscript rates_exact_byar.R  (writes rates_exact_byar.csv)
d <- c(0, 1, 3, 8, 9, 10, 12, 40, 120, 2000, 6)
b <- c(5000, 20000, 15000, 40000, 9000, 9000, 50000, 3e5, 7e5, 17860000, 2)
exact <- function(d, level) {  # Garwood, chi-square form
  a <- 1 - level
  cbind(lower = ifelse(d == 0, 0, qchisq(a / 2, 2 * d) / 2), upper = qchisq(1 - a / 2, 2 * d + 2) / 2)
}
byar <- function(d, level) {  # Byar's approximation; lower limit undefined (NA) at d = 0
  z <- qnorm(1 - (1 - level) / 2)
  lo <- ifelse(d == 0, NA, d * (1 - 1 / (9 * d) - z / (3 * sqrt(d)))^3)
  cbind(lower = lo, upper = (d + 1) * (1 - 1 / (9 * (d + 1)) + z / (3 * sqrt(d + 1)))^3)
}
per <- 1e5 / b
e95 <- exact(d, 0.95) * per; y95 <- byar(d, 0.95) * per
e998 <- exact(d, 0.998) * per; y998 <- byar(d, 0.998) * per
phe <- ifelse(d < 10, "exact", "byar")  # PHEindicatormethods: exact below 10 events, Byar from 10
pick <- function(e, y) ifelse(d < 10, e, y)
out <- data.frame(d = d, b = b, rate_per_1e5 = d * per,
                  exact_lower95 = e95[, "lower"], exact_upper95 = e95[, "upper"],
                  byar_lower95 = y95[, "lower"], byar_upper95 = y95[, "upper"], phe_method = phe,
                  phe_lower95 = pick(e95[, "lower"], y95[, "lower"]), phe_upper95 = pick(e95[, "upper"], y95[, "upper"]),
                  phe_lower998 = pick(e998[, "lower"], y998[, "lower"]), phe_upper998 = pick(e998[, "upper"], y998[, "upper"]))
write.csv(out, "rates_exact_byar.csv", row.names = FALSE)

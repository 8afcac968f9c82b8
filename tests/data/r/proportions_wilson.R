# Reproduces proportions_wilson.csv (Wilson score interval, in %), base R only.
# Run from this folder: Rscript proportions_wilson.R  (writes proportions_wilson.csv)
x <- c(0, 2, 10, 30, 48, 95, 500, 1, 9900, 6000, 3, 77)
n <- c(10, 2, 20, 40, 50, 100, 1000, 3, 10000, 6500, 12000, 80)
wilson <- function(x, n, level) {
  z <- qnorm(1 - (1 - level) / 2); p <- x / n
  mid <- p + z^2 / (2 * n); half <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2))
  cbind(lower = (mid - half) / (1 + z^2 / n), upper = (mid + half) / (1 + z^2 / n)) * 100
}
w95 <- wilson(x, n, 0.95); w998 <- wilson(x, n, 0.998)
out <- data.frame(x = x, n = n, value = x / n * 100,
                  lower95 = w95[, "lower"], upper95 = w95[, "upper"],
                  lower998 = w998[, "lower"], upper998 = w998[, "upper"])
# write.csv keeps 15 significant digits (the lower limit at x = 0 is R's ~2e-15 residue)
write.csv(out, "proportions_wilson.csv", row.names = FALSE)

# Reproduces the reference values of tests/data/rigour with R (>= 4.0; package segmented for AAPC).
# Run from this folder: Rscript reproduce.R. Numbers were computed on a machine without R by
# make_reference.py (statsmodels GLM scale="X2", use_t=True == summary.glm for quasipoisson, and
# closed forms); this script is what a reviewer with R runs to check them.
s <- read.csv("its_series.csv")

# 1. interrupted time series, quasi-Poisson (summary.glm: t on df.residual)
s$t <- s$year - min(s$year); s$post <- as.numeric(s$year >= 2016); s$tpost <- (s$year - 2016) * s$post
f <- glm(deaths ~ t + post + tpost + offset(log(births)), family = quasipoisson, data = s)
cf <- summary(f)$coefficients; disp <- summary(f)$dispersion
q <- qt(0.975, f$df.residual)
print(cbind(cf, lower = cf[, 1] - q * cf[, 2], upper = cf[, 1] + q * cf[, 2]))
cc <- c(0, 1, 0, 1); est <- sum(cc * coef(f)); se <- sqrt(drop(t(cc) %*% vcov(f) %*% cc))
print(c(b1_plus_b3 = est, se = se, p = 2 * pt(-abs(est / se), f$df.residual),
        lower = est - q * se, upper = est + q * se, dispersion = disp))

# 2. log-linear trend, quasi-Poisson
g <- glm(deaths ~ t + offset(log(births)), family = quasipoisson, data = s)
print(summary(g)$coefficients); print(confint.default(g) )  # Wald with z; t limits:
print(coef(g)[2] + c(-1, 1) * qt(0.975, g$df.residual) * sqrt(vcov(g)[2, 2]))

# 3. period rate ratio 2019-2023 vs 2008-2012, quasi-Poisson
p <- subset(s, year <= 2012 | year >= 2019); p$last <- as.numeric(p$year >= 2019)
h <- glm(deaths ~ last + offset(log(births)), family = quasipoisson, data = p)
b <- coef(h)[2]; se <- sqrt(vcov(h)[2, 2]); qq <- qt(0.975, h$df.residual)
print(c(rr = exp(b), lower = exp(b - qq * se), upper = exp(b + qq * se),
        p = summary(h)$coefficients[2, 4], dispersion = summary(h)$dispersion))

# 4. AAPC delta-method interval (Clegg et al. 2009), given the joinpoints of aapc_joinpoints.txt
a <- read.csv("aapc_series.csv"); a$rate <- a$deaths / a$births * 1000
J <- as.numeric(readLines("aapc_joinpoints.txt"))
X <- cbind(1, a$year, sapply(J, function(j) pmax(a$year - j, 0)))
m <- lm(log(a$rate) ~ X - 1, weights = a$deaths)
A <- t(sapply(0:length(J), function(j) c(0, 1, rep(1, j), rep(0, length(J) - j))))
b <- drop(A %*% coef(m)); S <- A %*% vcov(m) %*% t(A)
L <- diff(c(min(a$year), J, max(a$year))); g <- L / sum(L)
mu <- sum(g * b); se <- sqrt(drop(t(g) %*% S %*% g))
print(c(aapc = 100 * (exp(mu) - 1), lower = 100 * (exp(mu - qnorm(0.975) * se) - 1),
        upper = 100 * (exp(mu + qnorm(0.975) * se) - 1), p = 2 * pnorm(-abs(mu / se))))
# segmented's own estimate (breakpoints estimated, not fixed): attr "wrong.se" is the
# conditional-on-joinpoints se checked above, up to segmented's continuous breakpoint estimates
if (requireNamespace("segmented", quietly = TRUE)) {
  l <- lm(log(rate) ~ year, data = a, weights = deaths)
  sg <- segmented::segmented(l, seg.Z = ~year, psi = list(year = J))
  print(segmented::aapc(sg, exp.it = TRUE))
}

# 5. central exact p-value and interval of a rate ratio (rate_change_central_reference.csv)
if (requireNamespace("exactci", quietly = TRUE)) {
  r <- read.csv("rate_change_central_reference.csv")
  for (i in seq_len(nrow(r))) {
    e <- exactci::poisson.exact(c(r$d2[i], r$d1[i]), c(r$n2[i], r$n1[i]), tsmethod = "central")
    print(c(p = e$p.value, e$conf.int))
  }
}

# 6. Holm (holm_reference.csv)
h <- read.csv("holm_reference.csv"); print(cbind(h, R = p.adjust(h$p, "holm")))

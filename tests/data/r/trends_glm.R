# Reproduces trends_glm.csv from trend_series.csv: R's glm (Poisson), MASS::glm.nb, and the
# period rate ratio of 2019-2023 against 2010-2014 with poisson.test's exact conditional limits.
# Run from this folder: Rscript trends_glm.R  (needs MASS; writes trends_glm.csv)
library(MASS)
s <- read.csv("trend_series.csv", colClasses = c(region_code = "character"))
rows <- list()
for (code in unique(s$region_code)) for (num in c("maternal_deaths", "infant_deaths")) {
  d <- s[s$region_code == code, ]; d$deaths <- d[[num]]
  fp <- glm(deaths ~ year + offset(log(live_births)), family = poisson, data = d)
  fn <- glm.nb(deaths ~ year + offset(log(live_births)), data = d)
  for (m in c("poisson", "negbin")) {
    f <- if (m == "poisson") fp else fn
    b <- coef(f)[["year"]]; se <- sqrt(vcov(f)["year", "year"])
    rows[[length(rows) + 1]] <- data.frame(
      region_code = code, numerator = num, model = m, beta = b, se = se,
      apc = 100 * (exp(b) - 1), apc_lower = 100 * (exp(b - qnorm(0.975) * se) - 1),
      apc_upper = 100 * (exp(b + qnorm(0.975) * se) - 1), deviance = deviance(f), aic = AIC(f),
      dispersion = if (m == "poisson") sum(residuals(f, type = "pearson")^2) / df.residual(f) else NA,
      theta = if (m == "negbin") f$theta else NA)
  }
  # period_rr_last5_vs_first5: counts and live births pooled within 2010-2014 and 2019-2023.
  # beta = rate ratio, se = SE of log RR = sqrt(1/d1 + 1/d2) (= glm(deaths ~ period) on the ten
  # years), apc_lower/upper = Wald 95% limits of the RR; deviance/aic hold poisson.test's exact
  # conditional 95% limits and dispersion its p-value (columns reused, see README.md).
  first <- d[d$year <= 2014, ]; last <- d[d$year >= 2019, ]
  d1 <- sum(last$deaths); d0 <- sum(first$deaths); b1 <- sum(last$live_births); b0 <- sum(first$live_births)
  rr <- (d1 / b1) / (d0 / b0); se <- sqrt(1 / d1 + 1 / d0)
  pt <- poisson.test(c(d1, d0), c(b1, b0))
  rows[[length(rows) + 1]] <- data.frame(
    region_code = code, numerator = num, model = "period_rr_last5_vs_first5", beta = rr, se = se,
    apc = NA, apc_lower = exp(log(rr) - qnorm(0.975) * se), apc_upper = exp(log(rr) + qnorm(0.975) * se),
    deviance = pt$conf.int[1], aic = pt$conf.int[2], dispersion = pt$p.value, theta = NA)
}
write.csv(do.call(rbind, rows), "trends_glm.csv", row.names = FALSE)

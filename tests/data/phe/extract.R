# Re-creates this folder's CSV files from PHEindicatormethods' own test data (package version
# 2.1.0, commit 093fd28, tests/testthat/). The expected values are the package authors'; this
# script only converts them (xlsx sheet -> CSV, BOM and CRLF dropped, two headers renamed), as
# README.md describes. Not run on the project's machine (no R there).
# Usage: Rscript extract.R PATH/TO/PHEindicatormethods/tests/testthat
library(readxl)
src <- commandArgs(trailingOnly = TRUE)[1]
sheet <- function(file, name, out) {
  d <- as.data.frame(read_excel(file.path(src, file), sheet = name))
  write.csv(d, out, row.names = FALSE, na = "NA")  # 15 significant digits
}
sheet("testdata_Byars_Wilson.xlsx", "testdata_B_W", "byars_wilson.csv")
sheet("testdata_Proportion.xlsx", "testdata_Prop", "proportion.csv")
sheet("testdata_Proportion.xlsx", "testdata_Prop_g", "proportion_grouped.csv")
sheet("testdata_Rate.xlsx", "testdata_Rate", "rate.csv")
sheet("testdata_Rate.xlsx", "testdata_Rate_g", "rate_grouped.csv")
copy <- function(file, out, rename = NULL) {
  d <- read.csv(file.path(src, file), check.names = FALSE, fileEncoding = "UTF-8-BOM")
  names(d) <- trimws(names(d))
  if (!is.null(rename)) names(d)[match(names(rename), names(d))] <- unname(rename)
  con <- file(out, "wb"); write.csv(d, con, row.names = FALSE, na = "NA", eol = "\n"); close(con)
}
limits <- c(Lower2s0025limit = "lower_2s_limit", Upper2s0025limit = "upper_2s_limit",
            Lower3s0001limit = "lower_3s_limit", Upper3s0001limit = "upper_3s_limit", Baseline = "baseline")
copy("testdata_funnel_prop_inputs.csv", "funnel_prop_inputs.csv")
copy("testdata_funnel_prop_outputs.csv", "funnel_prop_outputs.csv", limits)
copy("testdata_funnel_prop_outputs_with_axis_variation.csv", "funnel_prop_outputs_with_axis_variation.csv", limits)
copy("testdata_funnel_ratio_inputs.csv", "funnel_ratio_inputs.csv")
copy("testdata_funnel_ratio_outputs.csv", "funnel_ratio_outputs.csv")  # first header "Observed_events\n" -> trimmed
copy("testdata_funnel_rate_input_funnels.csv", "funnel_rate_limits_inputs.csv")
copy("testdata_funnel_rate_outputs.csv", "funnel_rate_outputs_dsr.csv")
copy("testdata_funnel_rate_outputs_2.csv", "funnel_rate_outputs_crude_lt10.csv")
copy("testdata_funnel_rate_outputs_3.csv", "funnel_rate_outputs_crude_zero_with_denominator.csv")
copy("testdata_funnel_rate_dsr_inputs.csv", "funnel_rate_significance_inputs.csv")

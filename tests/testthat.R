library(testthat)
library(crew)

test_check("crew")

# Independent reference for the exact Bayesian random-effects meta-analysis (retrostats.bayes, method="exact").
# Base R only: nested adaptive quadrature (integrate) over mu and tau of the joint posterior, WITHOUT using
# the conjugate form in mu, and uniroot for quantiles. bayesmeta is not installable here.
source("_common.R")

rel <- 1e-11
tau_prior <- function(fam, p) switch(fam,
  "half-normal" = function(t) 2 * dnorm(t, 0, p[1]),
  "half-cauchy" = function(t) 2 * dcauchy(t, 0, p[1]),
  "uniform" = function(t) dunif(t, p[1], p[2]),
  "log-normal" = function(t) dlnorm(t, p[1], p[2]),
  "log-normal-tau2" = function(t) dlnorm(t^2, p[1], p[2]) * 2 * t,
  "log-t-tau2" = function(t) dt((log(t^2) - p[1]) / p[2], p[3]) / p[2] * 2 / t)
# density of s = log(tau) (written on the log scale so that it is finite as tau -> 0)
logtau_prior <- function(fam, p) switch(fam,
  "half-normal" = function(s) 2 * dnorm(exp(s), 0, p[1]) * exp(s),
  "half-cauchy" = function(s) 2 * dcauchy(exp(s), 0, p[1]) * exp(s),
  "log-normal" = function(s) dnorm(s, p[1], p[2]),
  "log-normal-tau2" = function(s) dnorm(2 * s, p[1], p[2]) * 2,
  "log-t-tau2" = function(s) dt((2 * s - p[1]) / p[2], p[3]) / p[2] * 2)
mu_prior <- function(fam, p) switch(fam,
  "normal" = function(m) dnorm(m, p[1], p[2]),
  "student-t" = function(m) dt((m - p[1]) / p[2], p[3]) / p[2])

solve_case <- function(y, v, mu_fam, mu_p, tau_fam, tau_p) {
  pm <- mu_prior(mu_fam, mu_p); pt_ <- tau_prior(tau_fam, tau_p)
  upper <- if (tau_fam == "uniform") tau_p[2] else Inf
  lower <- if (tau_fam == "uniform") tau_p[1] else 0
  w0 <- 1 / v; c0 <- sum(dnorm(y, sum(w0 * y) / sum(w0), sqrt(v), log = TRUE))
  lik <- function(m, t) exp(sapply(m, function(mm) sum(dnorm(y, mm, sqrt(v + t^2), log = TRUE))) - c0) * pm(m)
  # inner integral over mu of g(mu) * likelihood * prior, split at the conditional mode region
  inner <- function(t, g = function(m) 1, to = Inf) {
    w <- 1 / (v + t^2); yh <- sum(w * y) / sum(w); sdh <- sqrt(1 / sum(w))
    f <- function(m) g(m) * lik(m, t)
    brk <- sort(unique(c(yh, mu_p[1])))
    pts <- c(-Inf, brk, Inf)
    pts <- pts[pts <= to]; if (to < Inf) pts <- c(pts, to)
    tot <- 0
    for (i in seq_len(length(pts) - 1)) if (pts[i + 1] > pts[i])
      tot <- tot + integrate(f, pts[i], pts[i + 1], rel.tol = rel, subdivisions = 1000L)$value
    tot
  }
  # over tau: on log(tau) for priors on (0, Inf) (handles densities unbounded at 0), split at log(sqrt(median v))
  s0 <- log(sqrt(median(v)))
  ps <- if (tau_fam == "uniform") NULL else logtau_prior(tau_fam, tau_p)
  integ_s <- function(h, a, b) integrate(Vectorize(function(s) {
    t <- max(exp(s), 1e-300); if (t > 1e100) return(0); d <- ps(s); if (d == 0) 0 else d * h(t) }), a, b,
                                        rel.tol = 1e-10, subdivisions = 2000L)$value
  outer_to <- function(h, x) {
    if (tau_fam == "uniform") return(integrate(Vectorize(function(t) pt_(t) * h(t)), lower, min(x, upper),
                                               rel.tol = 1e-10, subdivisions = 2000L)$value)
    lx <- log(x)
    if (lx <= s0) integ_s(h, -Inf, lx) else integ_s(h, -Inf, s0) + integ_s(h, s0, lx)
  }
  outer <- function(h) outer_to(h, Inf)
  Z <- outer(function(t) inner(t))
  Emu <- outer(function(t) inner(t, function(m) m)) / Z
  Emu2 <- outer(function(t) inner(t, function(m) m^2)) / Z
  Etau <- outer(function(t) t * inner(t)) / Z
  Etau2 <- outer(function(t) t^2 * inner(t)) / Z
  cdf_mu <- function(x) outer(function(t) inner(t, to = x)) / Z
  cdf_tau <- function(x) outer_to(function(t) inner(t), x) / Z
  cdf_new <- function(x) outer(function(t) inner(t, function(m) pnorm((x - m) / t))) / Z
  q <- function(cdf, p, a, b) uniroot(function(x) cdf(x) - p, c(a, b), tol = 1e-12, extendInt = "upX")$root
  sdm <- sqrt(Emu2 - Emu^2); sdt <- sqrt(Etau2 - Etau^2); sdn <- sqrt(sdm^2 + Etau2)
  tq <- function(p) q(cdf_tau, p, max(lower, 1e-8), Etau + 3 * sdt)
  # marginal likelihoods (with the constant c0 put back) for the Bayes factors
  logZ <- log(Z) + c0
  m0 <- outer(function(t) exp(sum(dnorm(y, 0, sqrt(v + t^2), log = TRUE)) - c0))
  t0 <- if (lower == 0) inner(0) else NA
  list(mu_mean = Emu, mu_sd = sdm, mu_median = q(cdf_mu, 0.5, Emu - 5 * sdm, Emu + 5 * sdm),
       mu_q025 = q(cdf_mu, 0.025, Emu - 6 * sdm, Emu), mu_q975 = q(cdf_mu, 0.975, Emu, Emu + 6 * sdm),
       p_mu_gt0 = 1 - cdf_mu(0),
       tau_mean = Etau, tau_sd = sdt, tau_median = tq(0.5), tau_q025 = tq(0.025), tau_q975 = tq(0.975),
       theta_new_mean = Emu, theta_new_sd = sdn,
       theta_new_q025 = q(cdf_new, 0.025, Emu - 6 * sdn, Emu), theta_new_q975 = q(cdf_new, 0.975, Emu, Emu + 6 * sdn),
       log_marginal = logZ, bf01_mu = m0 / Z, bf01_tau = t0 / Z)
}

schools_y <- c(28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16)
schools_v <- c(14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6)^2
small_y <- c(-1.2, -0.4, -0.9); small_v <- c(0.2, 0.3, 0.25)
het_y <- c(0.1, 0.5, 0.9, -0.2, 0.4, 1.3); het_v <- c(0.04, 0.06, 0.05, 0.08, 0.03, 0.1)
cases <- list(
  list(id = "schools_hc25", y = schools_y, v = schools_v, mu = list("normal", c(0, 50)), tau = list("half-cauchy", 25)),
  list(id = "small_default", y = small_y, v = small_v, mu = list("normal", c(0, 2)), tau = list("half-normal", 0.5)),
  list(id = "small_hc", y = small_y, v = small_v, mu = list("normal", c(0, 2)), tau = list("half-cauchy", 0.5)),
  list(id = "small_unif", y = small_y, v = small_v, mu = list("normal", c(0, 2)), tau = list("uniform", c(0, 2))),
  list(id = "small_lnorm", y = small_y, v = small_v, mu = list("normal", c(0, 2)), tau = list("log-normal", c(-1, 1))),
  list(id = "small_rhodes", y = small_y, v = small_v, mu = list("normal", c(0, 2)), tau = list("log-t-tau2", c(-3.44, 2.59, 5))),
  list(id = "small_turner", y = small_y, v = small_v, mu = list("normal", c(0, 2)), tau = list("log-normal-tau2", c(-2.56, 1.74))),
  list(id = "small_t", y = small_y, v = small_v, mu = list("student-t", c(0, 1, 3)), tau = list("half-normal", 0.5)),
  list(id = "het_default", y = het_y, v = het_v, mu = list("normal", c(0, 2)), tau = list("half-normal", 0.5)),
  list(id = "het_t_hc", y = het_y, v = het_v, mu = list("student-t", c(0, 2, 4)), tau = list("half-cauchy", 1))
)
out <- list(cases = list())
for (cs in cases) {
  r <- solve_case(cs$y, cs$v, cs$mu[[1]], cs$mu[[2]], cs$tau[[1]], cs$tau[[2]])
  out$cases[[cs$id]] <- c(list(yi = as_array(cs$y), vi = as_array(cs$v), mu_family = cs$mu[[1]],
                               mu_params = as_array(cs$mu[[2]]), tau_family = cs$tau[[1]],
                               tau_params = as_array(cs$tau[[2]])), r)
  cat(cs$id, "done\n")
}
write_reference(out, "bayes_exact",
                calls = c("nested integrate() over mu and tau of the joint posterior (no conjugacy used)",
                          "uniroot() on the posterior CDFs for quantiles"),
                packages = character(0))

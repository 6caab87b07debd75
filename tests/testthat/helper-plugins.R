# A controller around a launcher plugin of the tests, built the way a
# plugin's helper function builds one: the launcher `class` with the base
# launcher's arguments (fast polling unless `seconds_interval` says
# otherwise, no wall time or task limit) and the plugin's own in `...`, and
# a client on `host` and `port`.
crew_test_plugin_controller <- function(
  class,
  ...,
  name = NULL,
  workers = 2L,
  seconds_interval = 0.1,
  seconds_timeout = 10,
  seconds_launch = 30,
  seconds_idle = 60,
  tls = crew::crew_tls(),
  host = NULL,
  port = NULL,
  crashes_max = 5L
) {
  launcher <- class$new(
    name = name,
    workers = workers,
    seconds_interval = seconds_interval,
    seconds_timeout = seconds_timeout,
    seconds_launch = seconds_launch,
    seconds_idle = seconds_idle,
    seconds_wall = Inf,
    tasks_max = Inf,
    tasks_timers = 0L,
    tls = tls,
    r_arguments = c("--no-save", "--no-restore"),
    options_metrics = crew::crew_options_metrics(),
    ...
  )
  launcher$validate()
  client <- crew::crew_client(host = host, port = port, tls = tls, seconds_interval = seconds_interval)
  controller <- crew::crew_controller(client = client, launcher = launcher, crashes_max = crashes_max)
  controller$validate()
  controller
}

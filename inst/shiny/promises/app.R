# Flips 1,000 coins on up to 4 local workers at the press of a button. Each
# push() is chained to a promise that counts its result when it arrives,
# and autoscale() keeps workers launched for the backlog from the later
# loop, so nothing in the app polls.
library(crew)
library(promises)
library(shiny)

flip <- function() {
  Sys.sleep(0.05)
  sample(c("heads", "tails"), size = 1L)
}

ui <- fluidPage(
  actionButton("flip", "Flip 1,000 coins"),
  textOutput("clock"),
  textOutput("totals")
)

server <- function(input, output, session) {
  controller <- crew_controller_local(workers = 4L, seconds_idle = 30)
  controller$start()
  controller$autoscale()
  onStop(function() controller$terminate())
  totals <- reactiveValues(heads = 0L, tails = 0L)
  observeEvent(input$flip, {
    for (index in seq_len(1000L)) {
      controller$push(flip(), data = list(flip = flip), scale = FALSE) %...>%
        (function(row) {
          side <- row$result[[1L]]
          totals[[side]] <- totals[[side]] + 1L
          # The promise carries the row, so the controller can let one go.
          controller$pop(scale = FALSE)
        })
    }
  })
  output$clock <- renderText({
    invalidateLater(100)
    format(Sys.time(), "%H:%M:%OS1")
  })
  output$totals <- renderText({
    sprintf(
      "heads %d, tails %d, done %d",
      totals$heads,
      totals$tails,
      totals$heads + totals$tails
    )
  })
}

shinyApp(ui, server)

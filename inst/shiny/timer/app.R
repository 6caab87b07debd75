# Flips 1,000 coins on 4 local workers at the press of a button. walk()
# submits them in one call, and an observer collects whatever has finished
# ten times a second, so the app answers the browser (and its clock ticks)
# while the flips run.
library(crew)
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
  onStop(function() controller$terminate())
  totals <- reactiveValues(heads = 0L, tails = 0L)
  observeEvent(input$flip, {
    controller$walk(
      command = flip(),
      iterate = list(index = seq_len(1000L)),
      data = list(flip = flip)
    )
  })
  observe({
    invalidateLater(100)
    results <- controller$collect(error = "silent")
    if (!is.null(results)) {
      sides <- unlist(results$result)
      totals$heads <- totals$heads + sum(sides == "heads")
      totals$tails <- totals$tails + sum(sides == "tails")
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

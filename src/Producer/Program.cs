return await Streaming.Producer.Cli.ProducerApp.RunAsync(args);

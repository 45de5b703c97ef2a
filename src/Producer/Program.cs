return await Streaming.Producer.ProducerApp.RunAsync(args);

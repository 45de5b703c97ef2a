return await Streaming.Consumer.ConsumerApp.RunAsync(args);

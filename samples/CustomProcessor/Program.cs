using Streaming.Consumer;
using Streaming.Samples.CustomProcessor;

// A consumer with one extra processor. Run it like the stock consumer:
//   dotnet run --project samples/CustomProcessor -- --processor reverse-words
return await ConsumerApp.RunAsync(args, catalog => catalog.Register("reverse-words", () => new ReverseWordsProcessor()));

package protobuf

// Unmarshal is the codec's decoder of a message, for its differential test.
var Unmarshal = unmarshal

package thriftpeer

// NewTClient lets tests call the generated clients directly.
var NewTClient = newTClient

# Evaluates the Vagrantfile for one LM_SHAPE/LM_NODES without Vagrant (a recorder stands in for
# its config objects), in ~0.1 s instead of validate's ~2 s, and prints `name box ip` per machine.
# ci/vagrant.sh runs it for every shape; `vagrant validate` itself runs for a few.
class Recorder
  attr_reader :calls
  def initialize(log) = (@log = log)
  def method_missing(name, *args, **kw, &block)
    @log << [name, args, kw]
    block&.call(*Array.new([block.arity, 0].max) { Recorder.new(@log) })
    self
  end
  def respond_to_missing?(*) = true
end

module Vagrant
  MACHINES = []
  def self.configure(_version)
    config = Recorder.new([])
    def config.vm = (@vm ||= VmRecorder.new)
    yield config
  end
end

class VmRecorder < Recorder
  def initialize = super([])
  def define(name, **_opts)
    node_log = []
    node = Recorder.new(node_log)
    yield node
    Vagrant::MACHINES << [name, node_log]
  end
end

load File.expand_path("../Vagrantfile", __dir__)
abort "no machines" if Vagrant::MACHINES.empty?
Vagrant::MACHINES.each do |name, log|
  box = log.find { |(m, _)| m == :box= }&.dig(1, 0)
  ip = log.find { |(m, a)| m == :network && a[0] == "private_network" }&.dig(2, :ip)
  abort "#{name}: no box" unless box.is_a?(String) && !box.empty?
  abort "#{name}: no private address" unless ip.is_a?(String) && !ip.empty?
  puts "#{name} #{box} #{ip}"
end
